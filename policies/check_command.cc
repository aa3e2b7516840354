#include "policies/check_command.h"

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <system_error>

#include "policies/caps.h"
#include "policies/compile.h"
#include "policies/loader.h"

namespace policies {
namespace {

struct CheckArgs {
  std::optional<std::string> caps_file;
  LoadOptions options;
  std::vector<std::string> policies;
};

std::optional<CheckArgs> parse_args(const std::vector<std::string>& args, std::ostream& err) {
  CheckArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    bool takes_value = arg == "--caps" || arg == "--policy-dir";
    if (takes_value && i + 1 == args.size()) {
      err << arg << " needs a value\n" << kCheckUsage;
      return std::nullopt;
    }
    if (arg == "--caps") {
      parsed.caps_file = args[++i];
    } else if (arg == "--policy-dir") {
      parsed.options.search_dirs.emplace_back(args[++i]);
    } else if (arg.rfind("--", 0) == 0) {
      err << "unknown option " << arg << "\n" << kCheckUsage;
      return std::nullopt;
    } else {
      parsed.policies.push_back(arg);
    }
  }
  if (parsed.policies.empty()) {
    err << kCheckUsage;
    return std::nullopt;
  }
  return parsed;
}

// The programs run_code needs per language, looked up where the sandbox's PATH looks (it
// binds the host's /usr).
const char* program_for(Language language) {
  switch (language) {
    case Language::python:
      return "python3";
    case Language::bash:
      return "bash";
    case Language::c:
      return "gcc";
    case Language::cpp:
      return "g++";
    case Language::node:
      return "node";
  }
  return "";
}

bool installed(const std::string& program) {
  for (const char* dir : {"/usr/local/bin/", "/usr/bin/", "/bin/"}) {
    if (::access((dir + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

void warn_missing_languages(const std::string& policy, const ToolScope& scope, std::ostream& out) {
  for (Language language : scope.run_code.languages) {
    std::string program = program_for(language);
    if (!installed(program)) {
      out << policy << ": warning: run_code language " << to_string(language) << " needs "
          << program << ", which is not installed on this host\n";
    }
  }
}

Validated<Policy> load(const std::string& policy, const LoadOptions& options) {
  std::error_code error;
  if (std::filesystem::exists(policy, error) || policy.find('/') != std::string::npos) {
    return load_policy_file(policy, options);
  }
  return load_policy_named(policy, options);
}

bool check_one(const std::string& policy, const CheckArgs& args, const Caps& caps,
               std::ostream& out, std::ostream& err) {
  Validated<Policy> loaded = load(policy, args.options);
  if (!loaded.ok()) {
    err << format(loaded.errors);
    return false;
  }
  Compiled compiled = compile(*loaded.value, caps);
  out << policy << ": ok\n";
  if (compiled.effective.sources.size() > 1) {
    out << policy << ": merged from";
    for (const std::string& source : compiled.effective.sources) out << " " << source;
    out << "\n";
  }
  for (const std::string& note : compiled.notes) out << policy << ": " << note << "\n";
  warn_missing_languages(policy, compiled.scope, out);
  out << to_json(compiled.effective).dump(2) << "\n";
  return true;
}

}  // namespace

int run_check_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::optional<CheckArgs> parsed = parse_args(args, err);
  if (!parsed) return 1;
  Caps caps = default_caps();
  if (parsed->caps_file) {
    Validated<Caps> loaded = load_caps_file(*parsed->caps_file);
    if (!loaded.ok()) {
      err << format(loaded.errors);
      return 1;
    }
    caps = *loaded.value;
  }
  bool all_ok = true;
  for (const std::string& policy : parsed->policies) {
    all_ok = check_one(policy, *parsed, caps, out, err) && all_ok;
  }
  return all_ok ? 0 : 1;
}

}  // namespace policies
