// The run_code tool's sandbox: the agent's policy's Spec template, its workspace bound at
// /workspace, and a small shell prologue per language. The program's source travels as an
// argument (never through a file the daemon writes), C and C++ are compiled inside the
// sandbox, and umask 000 keeps the workspace's files writable by the next run, which gets
// a different host uid.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/expected.h"
#include "policies/compile.h"
#include "sandbox/result.h"
#include "sandbox/spec.h"

namespace agents::runtime {

// Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN).
inline constexpr size_t kMaxCodeBytes = 120 << 10;

struct RunCodeRequest {
  policies::Language language = policies::Language::python;
  std::string code;
  std::string stdin_data;
  std::filesystem::path workspace;           // host directory; empty: the template's tmpfs
  std::vector<sandbox::Mount> extra_mounts;  // shared directories held by token
  // C and C++ only, for a program run many times (best_of_n's tests): `compile_to` compiles
  // `code` to that path in the sandbox and runs nothing; `compiled` runs the program at that
  // path (compiled before, reached through `extra_mounts`) instead of compiling `code`.
  std::string compile_to;
  std::string compiled;
};

// C and C++: compiled in the sandbox before they run.
bool is_compiled(policies::Language language);

base::Expected<sandbox::Spec> run_code_spec(const policies::Compiled& policy,
                                            const RunCodeRequest& request);

// The result as the model sees it, stdout and stderr cut to fit `max_chars` together.
nlohmann::json run_result_for_model(const sandbox::Result& result, size_t max_chars);

}  // namespace agents::runtime
