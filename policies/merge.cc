#include "policies/merge.h"

namespace policies {

void MergedDocument::apply(const Document& document) {
  nlohmann::json patch = document.value;
  patch.erase("extends");
  merge(value_, patch, "", document);
  last_ = &document;
}

void MergedDocument::merge(nlohmann::json& target, const nlohmann::json& patch,
                           const std::string& pointer, const Document& document) {
  for (const auto& [key, item] : patch.items()) {
    std::string member = pointer + "/" + pointer_token(key);
    if (item.is_null()) {
      target.erase(key);
      forget_below(member);
      continue;
    }
    if (item.is_object()) {
      nlohmann::json& slot = target[key];
      if (!slot.is_object()) {
        slot = nlohmann::json::object();
        forget_below(member);
      }
      origins_[member] = &document;
      merge(slot, item, member, document);
      continue;
    }
    forget_below(member);
    target[key] = item;
    origins_[member] = &document;
  }
}

void MergedDocument::forget_below(const std::string& pointer) {
  auto it = origins_.lower_bound(pointer);
  while (it != origins_.end() && it->first.compare(0, pointer.size(), pointer) == 0) {
    const std::string& key = it->first;
    bool below = key.size() == pointer.size() || key[pointer.size()] == '/';
    it = below ? origins_.erase(it) : std::next(it);
  }
}

const Document* MergedDocument::origin(std::string_view pointer) const {
  std::string_view found = pointer;
  while (true) {
    auto it = origins_.find(found);
    if (it != origins_.end()) return it->second;
    if (found.empty()) return nullptr;
    found = found.substr(0, found.rfind('/'));
  }
}

Diagnostic MergedDocument::at(std::string_view pointer, std::string message) const {
  const Document* document = origin(pointer);
  if (document == nullptr) document = last_;
  if (document == nullptr) return Diagnostic{"", 0, 0, std::string(pointer), std::move(message)};
  return document->at(pointer, std::move(message));
}

}  // namespace policies
