// A C or C++ candidate compiled once for all its program tests, in a sandbox of its own under
// the coder's policy (its wall time, not a test's: compiling is not what a test times), into a
// directory of the task's. Each test then runs that program from a read-only bind, so 16
// candidates with 8 tests cost 16 compilations, not 128, and no test's time limit is spent on
// the compiler.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <string>

#include "agents/runtime/run_code.h"
#include "base/expected.h"
#include "policies/compile.h"

namespace agents::runtime {
class TaskContext;
}

namespace agents::patterns {

struct CandidateRun;

// Where a built candidate is bound in its test sandboxes, and its program there.
inline constexpr const char* kBuildMount = "/candidate";
inline constexpr const char* kBuiltProgram = "/candidate/solution";

// The directory holding the compiled program, or an empty path when there is nothing to build
// (not C or C++, or no workspace root: each run compiles then). An error says why the
// candidate does not compile.
boost::asio::awaitable<base::Expected<std::filesystem::path>> build_candidate(
    runtime::TaskContext& task, const policies::Compiled& policy, const CandidateRun& candidate);

// `request` made to run the program built in `build` (when not empty) instead of compiling.
void run_built(runtime::RunCodeRequest& request, const std::filesystem::path& build);

}  // namespace agents::patterns
