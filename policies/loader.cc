#include "policies/loader.h"

#include <algorithm>
#include <deque>

#include "policies/builtin.h"
#include "policies/merge.h"
#include "policies/policy_builder.h"
#include "policies/schema.h"
#include "policies/source.h"

namespace policies {
namespace {

struct Chain {
  std::deque<Document> documents;  // the policy first, then what it extends, and so on
  Diagnostics errors;
};

// Where `document` says it extends, or nullopt (no `extends`, or one already reported as bad).
std::optional<std::string> extends_of(const Document& document) {
  auto it = document.value.find("extends");
  if (it == document.value.end() || !it->is_string()) return std::nullopt;
  if (policy_reference_check()(*it)) return std::nullopt;
  return it->get<std::string>();
}

std::string cycle_text(const std::vector<std::string>& origins, const std::string& again) {
  std::string text;
  for (const std::string& origin : origins) text += origin + " -> ";
  return text + again;
}

Chain read_chain(Source first, const LoadOptions& options) {
  Chain chain;
  std::vector<std::string> identities;
  std::vector<std::string> origins;
  Source current = std::move(first);
  while (true) {
    identities.push_back(current.identity);
    origins.push_back(current.origin);
    auto parsed = parse_document(std::move(current.text), current.origin, current.dir);
    if (!parsed.ok()) {
      chain.errors.insert(chain.errors.end(), parsed.errors.begin(), parsed.errors.end());
      return chain;
    }
    const Document& document = chain.documents.emplace_back(std::move(*parsed.value));
    validate(document, policy_schema(), chain.errors);
    std::optional<std::string> reference = extends_of(document);
    if (!reference) return chain;
    auto next = resolve_reference(*reference, document, options);
    if (!next) {
      chain.errors.push_back(document.at("/extends", next.error().message));
      return chain;
    }
    if (std::find(identities.begin(), identities.end(), next->identity) != identities.end()) {
      chain.errors.push_back(
          document.at("/extends", "extends cycle: " + cycle_text(origins, next->origin)));
      return chain;
    }
    if (identities.size() >= kMaxExtendsDepth) {
      chain.errors.push_back(
          document.at("/extends", "expected at most " + std::to_string(kMaxExtendsDepth) +
                                      " levels of extends: " + cycle_text(origins, next->origin)));
      return chain;
    }
    current = std::move(next.value());
  }
}

Validated<Policy> failed(std::string file, std::string message) {
  Validated<Policy> result;
  result.errors.push_back(Diagnostic{std::move(file), 0, 0, "", std::move(message)});
  return result;
}

Validated<Policy> load_source(Source source, const LoadOptions& options) {
  Validated<Policy> result;
  std::string name = source.name;
  Chain chain = read_chain(std::move(source), options);
  if (!chain.errors.empty()) {
    result.errors = std::move(chain.errors);
    return result;
  }
  MergedDocument merged;
  std::vector<std::string> sources;
  for (auto it = chain.documents.rbegin(); it != chain.documents.rend(); ++it) {
    merged.apply(*it);
    sources.push_back(it->origin);
  }
  return build_policy(merged, std::move(name), std::move(sources), options);
}

}  // namespace

Validated<Policy> load_policy_file(const std::filesystem::path& path, const LoadOptions& options) {
  if (!options.allow_files) return failed(path.string(), "file references are disabled here");
  auto source = read_file_source(path);
  if (!source) return failed(path.string(), source.error().message);
  return load_source(std::move(source.value()), options);
}

Validated<Policy> load_policy_text(std::string text, const std::string& origin,
                                   const LoadOptions& options, std::filesystem::path dir) {
  std::string name = std::filesystem::path(origin).stem().string();
  return load_source(Source{"text:" + origin, name, origin, std::move(dir), std::move(text)},
                     options);
}

Validated<Policy> load_policy_named(std::string_view name, const LoadOptions& options) {
  Document command_line;
  command_line.origin = std::string(name);
  auto source = resolve_reference(std::string(name), command_line, options);
  if (!source) return failed(std::string(name), source.error().message);
  return load_source(std::move(source.value()), options);
}

std::vector<std::string> builtin_policy_names() {
  std::vector<std::string> names;
  for (const BuiltinPolicy& builtin : builtin_policies()) names.emplace_back(builtin.name);
  return names;
}

}  // namespace policies
