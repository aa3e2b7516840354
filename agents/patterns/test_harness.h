// The harness pair: a candidate's Python tests run in a sandbox of their own (the harness,
// agents/harness/harness.py), where no candidate code ever runs, and the candidate runs in
// another (agents/harness/candidate_server.py under the coder's policy). The two are joined
// only by a socketpair (sandbox::Spec::channel); calls cross as plain data. The daemon reads
// the verdicts from the harness's stdout, where each line must carry a secret made for this
// run, which only the harness process is given: nothing the candidate prints or returns can
// pass for a verdict, and the candidate's exit status never counts. docs/testing.md says what
// this guarantees.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agents/task_spec.h"
#include "policies/compile.h"

namespace agents::runtime {
class TaskContext;
}

namespace agents::patterns {

struct CandidateRun;

// One test function (or a whole script without test functions) of one script.
struct HarnessCase {
  size_t script = 0;  // index into HarnessJob::scripts
  std::string name;
  bool passed = false;
  std::string detail;     // why it failed
  std::string behaviour;  // digest of every call it made and what came back
};

struct HarnessJob {
  std::vector<const TestCase*> scripts;  // Python tests: {language: python, code}
  // Calls of the candidate's functions ({function, args, kwargs}, wire-encoded) that, with the
  // calls the scripts make, become behaviour probes (agents/harness/probes.py); alone, they
  // make a probe-only run.
  nlohmann::json probe_calls = nlohmann::json::array();
  std::chrono::milliseconds probe_limit{1000};
};

struct HarnessReport {
  std::vector<std::vector<std::string>> expected;  // per script: its cases' names, as found
  std::vector<HarnessCase> cases;
  // Per script: the candidate's functions its tests called with plain arguments, as probes.
  std::vector<nlohmann::json> calls;
  nlohmann::json probe_calls = nlohmann::json::array();  // the probes, as derived and run
  std::vector<std::string> probes;                       // one digest per probe, in order
  bool complete = false;  // the harness reported every script to the end
  std::string error;      // why it did not (cases it never reported failed)
};

// Runs `job` against `candidate`: the harness under `test_policy`, the candidate under
// `candidate_policy` (with the GPUs that policy grants its sandboxes, as run_code's).
boost::asio::awaitable<HarnessReport> run_harness(runtime::TaskContext& task,
                                                  const policies::Compiled& test_policy,
                                                  const policies::Compiled& candidate_policy,
                                                  const CandidateRun& candidate,
                                                  const HarnessJob& job);

// What run_harness reads from the harness's stdout: only lines that begin with `secret`.
HarnessReport parse_harness_report(const std::string& stdout_data, const std::string& secret,
                                   size_t scripts);

}  // namespace agents::patterns
