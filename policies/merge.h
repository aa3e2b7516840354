// `extends` merging: a file is a JSON merge patch (RFC 7396) over the policy it extends.
// Objects merge key by key, arrays and scalars replace, and `null` removes the inherited
// value (a tool, or a field back to its default). The merge remembers which file set each
// value, so errors found after merging still name that file, line and column.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "policies/document.h"

namespace policies {

class MergedDocument {
 public:
  // Applies `document` (minus its "extends" key) over what was merged so far.
  void apply(const Document& document);

  const nlohmann::json& value() const { return value_; }
  // The document that set the value at `pointer` (or at its nearest ancestor that was set as
  // a whole); null when no document did (a default).
  const Document* origin(std::string_view pointer) const;
  // A diagnostic at `pointer` in the file that set it.
  Diagnostic at(std::string_view pointer, std::string message) const;

 private:
  void merge(nlohmann::json& target, const nlohmann::json& patch, const std::string& pointer,
             const Document& document);
  void forget_below(const std::string& pointer);

  nlohmann::json value_ = nlohmann::json::object();
  std::map<std::string, const Document*, std::less<>> origins_;
  const Document* last_ = nullptr;
};

}  // namespace policies
