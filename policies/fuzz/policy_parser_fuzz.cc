// libFuzzer target: arbitrary bytes through the whole policy path (parse with positions,
// validate, extends among the built-ins, merge, build, clamp, compile) and the parsers the
// tool layer applies to model-supplied arguments. No file is read: file references are
// disabled and the built-in policies are compiled in.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "policies/caps.h"
#include "policies/compile.h"
#include "policies/loader.h"
#include "policies/url.h"
#include "policies/workspace_path.h"

namespace {

void exercise_scope(const policies::ToolScope& scope, const std::string& text) {
  (void)scope.check_run_code(text);
  (void)scope.check_read_file(text);
  (void)scope.check_write_file(text);
  (void)scope.check_list_files(text);
  (void)scope.check_http_get(text, text);
  (void)scope.check_gpu(static_cast<uint32_t>(text.size()));
}

void exercise_parsers(const std::string& text) {
  std::string problem;
  (void)policies::parse_http_url(text, &problem);
  (void)policies::host_pattern_problem(text);
  (void)policies::cidr_problem(text);
  (void)policies::cidr_contains("10.0.0.0/8", text);
  if (auto path = policies::WorkspacePath::parse(text)) {
    // Normalising is idempotent: what the check matched is what a second parse would open.
    auto again = policies::WorkspacePath::parse(path->str());
    if (!again || *again != *path) std::abort();
    for (std::string_view segment : path->segments())
      if (segment.empty() || segment == "." || segment == "..") std::abort();
    if (!policies::glob_problem(text)) (void)policies::glob_matches(text, *path);
  }
}

void exercise_policy(const std::string& text) {
  policies::LoadOptions options;
  options.allow_files = false;
  policies::Validated<policies::Policy> loaded =
      policies::load_policy_text(text, "fuzz.json", options);
  for (const policies::Diagnostic& error : loaded.errors) (void)error.to_string();
  if (!loaded.ok()) return;
  policies::Compiled compiled = policies::compile(*loaded.value, policies::default_caps());
  exercise_scope(compiled.scope, text);
  // What `check` prints must load back to the same policy.
  std::string effective = policies::to_json(compiled.effective).dump();
  policies::Validated<policies::Policy> again =
      policies::load_policy_text(effective, "effective.json", options);
  if (!again.ok() || policies::to_json(*again.value).dump() != effective) std::abort();
}

void exercise_caps(const std::string& text) {
  auto document = policies::parse_document(text, "caps.json");
  if (document.ok()) (void)policies::read_caps(*document.value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  exercise_policy(text);
  exercise_caps(text);
  exercise_parsers(text);
  return 0;
}
