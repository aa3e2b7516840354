#include "agents/runtime/run_code.h"

#include "agents/runtime/truncate.h"
#include "base/strings.h"

namespace agents::runtime {
namespace {

// "$1" is the source; the sandbox's /tmp is a private tmpfs.
std::string prologue(policies::Language language) {
  switch (language) {
    case policies::Language::python:
      return "umask 000; exec python3 -c \"$1\"";
    case policies::Language::bash:
      return "umask 000; exec bash -c \"$1\" bash";
    case policies::Language::node:
      return "umask 000; exec node -e \"$1\"";
    case policies::Language::c:
      return "umask 000; printf '%s' \"$1\" > /tmp/main.c && "
             "gcc -O2 -o /tmp/main /tmp/main.c -lm && exec /tmp/main";
    case policies::Language::cpp:
      return "umask 000; printf '%s' \"$1\" > /tmp/main.cc && "
             "g++ -std=c++20 -O2 -o /tmp/main /tmp/main.cc && exec /tmp/main";
  }
  return "exit 127";
}

// "$1" is the source, "$2" where the program goes.
std::string compile_prologue(policies::Language language) {
  return language == policies::Language::c ? "umask 000; printf '%s' \"$1\" > /tmp/main.c && "
                                             "exec gcc -O2 -o \"$2\" /tmp/main.c -lm"
                                           : "umask 000; printf '%s' \"$1\" > /tmp/main.cc && "
                                             "exec g++ -std=c++20 -O2 -o \"$2\" /tmp/main.cc";
}

// The shell command line that runs the request: compile only, run what was compiled, or run
// the source (compiling C and C++ first).
std::vector<std::string> command_for(const RunCodeRequest& request) {
  if (!request.compiled.empty())
    return {"/bin/sh", "-c", "umask 000; exec \"$1\"", "sh", request.compiled};
  if (!request.compile_to.empty())
    return {"/bin/sh", "-c",         compile_prologue(request.language),
            "sh",      request.code, request.compile_to};
  return {"/bin/sh", "-c", prologue(request.language), "sh", request.code};
}

}  // namespace

bool is_compiled(policies::Language language) {
  return language == policies::Language::c || language == policies::Language::cpp;
}

base::Expected<sandbox::Spec> run_code_spec(const policies::Compiled& policy,
                                            const RunCodeRequest& request) {
  if ((!request.compile_to.empty() || !request.compiled.empty()) && !is_compiled(request.language))
    return base::Error{"run_code: only C and C++ programs are compiled once and run again"};
  if (request.code.size() > kMaxCodeBytes)
    return base::Error{"run_code: the code is " + std::to_string(request.code.size()) +
                       " bytes; at most " + std::to_string(kMaxCodeBytes) +
                       " are accepted (write bigger programs with write_file and run them)"};
  if (request.code.find('\0') != std::string::npos)
    return base::Error{"run_code: the code contains a NUL byte"};
  sandbox::Spec spec = policy.spec;
  if (!request.workspace.empty())
    spec = policies::bind_workspace(std::move(spec), request.workspace.string(),
                                    policy.effective.workspace);
  for (const sandbox::Mount& mount : request.extra_mounts) spec.mounts.push_back(mount);
  spec.argv = command_for(request);
  spec.stdin_data = request.stdin_data;
  spec.workdir = "/workspace";
  return spec;
}

nlohmann::json run_result_for_model(const sandbox::Result& result, size_t max_chars) {
  const size_t half = max_chars / 2;
  nlohmann::json out = {
      {"status", sandbox::to_string(result.status)},
      {"wall_ms", result.wall_ms},
  };
  if (result.status == sandbox::RunStatus::ok || result.status == sandbox::RunStatus::exit_nonzero)
    out["exit_code"] = result.exit_code;
  if (result.signal != 0) out["signal"] = result.signal;
  out["stdout"] = base::valid_utf8(truncate_for_model(result.stdout_data, half, "stdout"));
  out["stderr"] = base::valid_utf8(truncate_for_model(result.stderr_data, half, "stderr"));
  if (result.stdout_truncated) out["stdout_capped"] = "the program wrote more than its output cap";
  if (result.stderr_truncated) out["stderr_capped"] = "the program wrote more than its output cap";
  if (!result.error.empty()) out["error"] = result.error;
  return out;
}

}  // namespace agents::runtime
