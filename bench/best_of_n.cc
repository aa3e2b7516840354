// bench/best_of_n: agentd's best_of_n with real sandboxes against the scripted LLM server.
//
// 1. 16 candidates x 8 tests against 1 candidate x the same 8 tests, at a fixed model latency
//    (200 ms). The 8 tests are the test functions of one Python script test, so each candidate
//    is tested by a harness sandbox talking to the candidate's sandbox (agents/harness). Most
//    candidates are correct, each written differently; three are wrong in different ways, so
//    selection has to count passes, probe the finalists and group them by behaviour.
// 2. The harness's cost per proxied call: one candidate whose test calls a trivial function
//    --calls times, less the same task with 10 calls (the worker is started either way),
//    divided by the difference.
//
//   best_of_n [--latency-ms 200] [--runs 3] [--calls 5000]
//
// Each figure is the fastest of --runs runs after a warm-up (the machine is shared and noisy;
// the minimum is the least disturbed). Every run must succeed with a correct winner, or the
// benchmark exits with status 1: the timing of a failure proves nothing. Targets (issue 12): 16x8
// within 1.5x of one candidate's time, at most 1 ms per proxied call.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agents/http/curl_multi.h"
#include "agents/llm/client.h"
#include "agents/task.h"
#include "policies/caps.h"
#include "policies/compile.h"
#include "policies/loader.h"
#include "sandbox/runner.h"
#include "tests/fixtures/scripted_llm/scripted_server.h"

namespace {

namespace asio = boost::asio;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
  int latency_ms = 200;
  int runs = 3;
  int calls = 5000;
};

// The candidates' programs: equivalent implementations of digit_sum, and three wrong ones.
const std::vector<std::string> kCorrect = {
    "def digit_sum(n):\n    return sum(int(c) for c in str(abs(n)))\n",
    ("def digit_sum(n):\n    n = abs(n)\n    total = 0\n    while n:\n        total += n % 10\n"
     "        n //= 10\n    return total\n"),
    "def digit_sum(n):\n    return sum(map(int, str(abs(n))))\n",
    "def digit_sum(n):\n    n = abs(n)\n    return n if n < 10 else n % 10 + digit_sum(n // 10)\n",
    ("def digit_sum(n):\n    n, s = abs(n), 0\n    while n > 0:\n        n, d = divmod(n, 10)\n"
     "        s += d\n    return s\n"),
    "def digit_sum(n):\n    return sum(ord(c) - 48 for c in str(n).lstrip('-'))\n",
    ("import functools\n\n\ndef digit_sum(n):\n"
     "    return functools.reduce(lambda a, c: a + int(c), str(abs(n)), 0)\n"),
    ("def digit_sum(n: int) -> int:\n    \"\"\"Sum of the decimal digits of n.\"\"\"\n"
     "    return sum(int(d) for d in str(n) if d.isdigit())\n"),
    "def digit_sum(n):\n    digits = [int(c) for c in str(abs(n))]\n    return sum(digits)\n",
    "def digit_sum(n):\n    s = 0\n    for c in repr(abs(n)):\n        s += int(c)\n    return s\n",
    ("def digit_sum(number):\n    number = -number if number < 0 else number\n"
     "    return sum(int(ch) for ch in str(number))\n"),
    ("DIGITS = {str(d): d for d in range(10)}\n\n\ndef digit_sum(n):\n"
     "    return sum(DIGITS[c] for c in str(abs(n)))\n"),
    "def digit_sum(n):\n    text = format(abs(n), 'd')\n    return sum(int(c) for c in text)\n",
};
const std::vector<std::string> kWrong = {
    // No abs: int('-') raises on negative numbers.
    "def digit_sum(n):\n    return sum(int(c) for c in str(n))\n",
    // The loop never runs for negative numbers.
    ("def digit_sum(n):\n    total = 0\n    while n > 0:\n        total += n % 10\n"
     "        n //= 10\n    return total\n"),
    // The digital root's residue, not the sum.
    "def digit_sum(n):\n    return abs(n) % 9\n",
};

const char* kDigitTests =
    "from solution import digit_sum\n\n"
    "def test_zero():\n    assert digit_sum(0) == 0\n\n"
    "def test_one_digit():\n    assert digit_sum(7) == 7\n\n"
    "def test_small():\n    assert digit_sum(123) == 6\n\n"
    "def test_negative():\n    assert digit_sum(-45) == 9\n\n"
    "def test_round():\n    assert digit_sum(1000) == 1\n\n"
    "def test_nines():\n    assert digit_sum(99999) == 45\n\n"
    "def test_large():\n    assert digit_sum(10 ** 18) == 1\n\n"
    "def test_minus_one():\n    assert digit_sum(-1) == 1\n";

const char* kIncrement = "def inc(x):\n    return x + 1\n";

json answer(const std::string& code) {
  return {{"text", "```python\n" + code + "```"}};
}

// A best_of_n task and the coder's scripted answers.
struct Case {
  std::string label;
  json script;
  json spec;
  size_t candidates = 0;
  size_t tests = 0;
  std::set<std::string> correct;  // what the winner must be
};

Case digit_case(size_t n, int latency_ms) {
  json steps = json::array();
  Case c;
  c.label = std::to_string(n) + "x8";
  for (size_t i = 0, next = 0; i < n; ++i) {
    // Every fifth candidate is wrong (3 of 16); the others are the correct ones in turn.
    const bool wrong = n > 1 && i % 5 == 4;
    const std::string& code =
        wrong ? kWrong[(i / 5) % kWrong.size()] : kCorrect[next++ % kCorrect.size()];
    if (!wrong) c.correct.insert(code);
    steps.push_back(answer(code));
  }
  c.script = {{"latency_ms", latency_ms}, {"roles", {{"coder", {{"steps", steps}}}}}};
  c.spec = {{"pattern", "best_of_n"},
            {"prompt", "Write digit_sum(n): the sum of the decimal digits of the integer n."},
            {"options", {{"n", n}}},
            {"roles", {{"coder", {{"model", "bench"}, {"policy", "coder"}}}}},
            {"tests", json::array({{{"name", "digits"},
                                    {"language", "python"},
                                    {"code", kDigitTests},
                                    {"time_limit_ms", 10000}}})}};
  c.candidates = n;
  c.tests = 8;
  return c;
}

Case calls_case(int calls) {
  Case c;
  c.label = std::to_string(calls) + " calls";
  c.script = {{"latency_ms", 0}, {"roles", {{"coder", {{"default", answer(kIncrement)}}}}}};
  c.correct = {kIncrement};
  const std::string test = "from solution import inc\n\ndef test_calls():\n    for i in range(" +
                           std::to_string(calls) + "):\n        assert inc(i) == i + 1\n";
  c.spec = {{"pattern", "best_of_n"},
            {"prompt", "Write inc(x): x + 1."},
            {"options", {{"n", 1}}},
            {"roles", {{"coder", {{"model", "bench"}, {"policy", "coder"}}}}},
            {"tests", json::array({{{"name", "calls"},
                                    {"language", "python"},
                                    {"code", test},
                                    {"time_limit_ms", 300000}}})}};
  c.candidates = 1;
  c.tests = 1;
  return c;
}

// The sandboxes' cgroup parent, so that their CPU is counted apart from the rest of the machine
// (other work on a shared machine, and other agentd processes' sandboxes).
constexpr const char* kCgroupParent = "agentd-bench-best-of-n";

// CPU ms used so far by every sandbox under kCgroupParent (cpuacct under v1, cpu.stat under
// v2, each charged up the hierarchy so finished sandboxes still count); negative when unknown.
double sandbox_cpu_ms() {
  const std::string parent = kCgroupParent;
  for (const char* dir : {"/sys/fs/cgroup/cpuacct/", "/sys/fs/cgroup/cpu,cpuacct/"}) {
    std::ifstream usage(dir + parent + "/cpuacct.usage");
    double ns = 0;
    if (usage >> ns) return ns / 1e6;
  }
  for (const char* dir : {"/sys/fs/cgroup/", "/sys/fs/cgroup/unified/"}) {
    std::ifstream stat(dir + parent + "/cpu.stat");
    std::string key;
    double value = 0;
    while (stat >> key >> value)
      if (key == "usage_usec") return value / 1e3;
  }
  return -1;
}

double own_cpu_ms() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto ms = [](timeval t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

struct Figures {
  double wall_ms = 0;
  double sandbox_cpu_ms = 0;  // every sandbox's CPU (harnesses and candidates)
  double own_cpu_ms = 0;      // this process's: the runtime, the pattern, the runner
  // Since the start: last candidate tested, probing started, selection (0: did not happen).
  double tested_ms = 0, probed_ms = 0, selected_ms = 0;
  size_t harness_runs_probing = 0, probes = 0;
};

// Notes when the pattern's phases were reached.
class PhaseSink : public agents::EventSink {
 public:
  void emit(agents::Event event) override {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    if (event.type == "candidate.tested") figures.tested_ms = ms;
    if (event.type == "candidates.probed") {
      figures.probed_ms = ms;
      figures.harness_runs_probing = event.data.value("candidates", 0);
      figures.probes = event.data.value("probes", 0);
    }
    if (event.type == "candidate.selected") figures.selected_ms = ms;
  }
  Clock::time_point started;
  Figures figures;
};

class Bench {
 public:
  Bench(const agents::testing::ScriptedLlmServer& server, std::shared_ptr<sandbox::Runner> runner,
        std::shared_ptr<const policies::Compiled> coder, std::filesystem::path workspace_root)
      : server_(server),
        runner_(std::move(runner)),
        coder_(std::move(coder)),
        workspace_root_(std::move(workspace_root)) {
    agents::llm::ModelConfig model;
    model.name = "bench";
    model.base_url = server.base_url();
    model.model = "scripted";
    model.max_concurrency = 64;
    model.timeout = std::chrono::seconds(60);
    llm_ = std::make_unique<agents::llm::Client>(http_, std::vector{model});
  }

  // One run of `c`; nullopt (and why, on stderr) unless it succeeded with a correct winner.
  std::optional<Figures> run(const Case& c) {
    if (auto loaded = server_.load_script(c.script); !loaded) {
      std::fprintf(stderr, "best_of_n: %s\n", loaded.error().message.c_str());
      return std::nullopt;
    }
    auto spec = agents::parse_task_spec(c.spec);
    if (!spec) {
      std::fprintf(stderr, "best_of_n: %s\n", spec.error().message.c_str());
      return std::nullopt;
    }
    agents::TaskEnvironment env{
        io_.get_executor(),
        *llm_,
        *runner_,
        http_,
        [this](std::string_view name) { return name == "coder" ? coder_ : nullptr; },
        sink_,
        workspace_root_,
        {}};
    if (auto checked = agents::check_task_spec(*spec, env); !checked) {
      std::fprintf(stderr, "best_of_n: %s\n", checked.error().message.c_str());
      return std::nullopt;
    }
    std::optional<agents::TaskResult> result;
    sink_.figures = {};
    const double sandbox_before = sandbox_cpu_ms(), own_before = own_cpu_ms();
    sink_.started = Clock::now();
    asio::co_spawn(io_,
                   agents::run_task(env, std::move(*spec), "bench-" + std::to_string(++tasks_)),
                   [&](const std::exception_ptr&, agents::TaskResult r) { result = std::move(r); });
    while (!result) io_.run_one();
    Figures figures = sink_.figures;
    figures.wall_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - sink_.started).count();
    figures.sandbox_cpu_ms = sandbox_cpu_ms() - sandbox_before;
    figures.own_cpu_ms = own_cpu_ms() - own_before;
    if (!check(c, *result)) {
      std::fprintf(stderr, "best_of_n: %s failed: %s\n", c.label.c_str(),
                   agents::to_json(*result).dump().c_str());
      return std::nullopt;
    }
    return figures;
  }

 private:
  static bool check(const Case& c, const agents::TaskResult& result) {
    if (result.status != agents::TaskStatus::succeeded || !result.answer.is_string()) return false;
    if (!c.correct.count(result.answer.get<std::string>())) return false;
    const json& details = result.details;
    size_t correct_candidates = 0;
    for (const json& candidate : details.value("candidates", json::array()))
      correct_candidates += candidate.value("passed_all", false);
    const size_t expected_correct = c.candidates == 1 ? 1 : c.candidates - c.candidates / 5;
    return details.value("tests", 0u) == c.tests &&
           details.value("candidates", json::array()).size() == c.candidates &&
           correct_candidates == expected_correct;
  }

  const agents::testing::ScriptedLlmServer& server_;
  asio::io_context io_;
  agents::http::Client http_{io_.get_executor()};
  std::unique_ptr<agents::llm::Client> llm_;
  std::shared_ptr<sandbox::Runner> runner_;
  std::shared_ptr<const policies::Compiled> coder_;
  std::filesystem::path workspace_root_;
  PhaseSink sink_;
  int tasks_ = 0;
};

// The fastest of `runs` runs (after the caller's warm-up); nullopt when one fails.
std::optional<Figures> fastest(Bench& bench, const Case& c, int runs) {
  std::optional<Figures> best;
  for (int run = 0; run < runs; ++run) {
    auto figures = bench.run(c);
    if (!figures) return std::nullopt;
    std::printf("  %-12s run %d: %8.1f ms wall, CPU: sandboxes %8.1f ms, this process %6.1f ms\n",
                c.label.c_str(), run + 1, figures->wall_ms, figures->sandbox_cpu_ms,
                figures->own_cpu_ms);
    std::fflush(stdout);
    if (!best || figures->wall_ms < best->wall_ms) best = figures;
  }
  return best;
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--latency-ms" && has_value) {
      options.latency_ms = std::max(0, std::stoi(argv[++i]));
    } else if (arg == "--runs" && has_value) {
      options.runs = std::max(1, std::stoi(argv[++i]));
    } else if (arg == "--calls" && has_value) {
      options.calls = std::max(100, std::stoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: best_of_n [--latency-ms 200] [--runs 3] [--calls 5000]\n");
      std::exit(2);
    }
  }
  return options;
}

std::string loadavg() {
  std::ifstream file("/proc/loadavg");
  std::string line;
  std::getline(file, line);
  return line;
}

int fail(const std::string& why) {
  std::fprintf(stderr, "best_of_n: %s\n", why.c_str());
  return 1;
}

int bench_main(const Options& options, const std::filesystem::path& workspace_root) {
  agents::testing::ScriptedLlmServer::Options server_options;
  server_options.latency_ms = options.latency_ms;
  auto server = agents::testing::ScriptedLlmServer::start(server_options);
  if (!server) return fail(server.error().message);
  sandbox::RunnerOptions runner_options;
  runner_options.cgroup_parent = kCgroupParent;
  auto runner = sandbox::Runner::create(runner_options);
  if (!runner) return fail(runner.error().message);
  auto policy = policies::load_policy_named("coder");
  if (!policy.ok()) return fail(policies::format(policy.errors));
  auto coder = std::make_shared<const policies::Compiled>(
      policies::compile(*policy.value, policies::default_caps()));
  Bench bench(*server, *runner, coder, workspace_root);
  if (sandbox_cpu_ms() < 0)
    std::printf("(the sandboxes' CPU is unknown: no cpuacct or cpu.stat for %s)\n", kCgroupParent);

  const Case sixteen = digit_case(16, options.latency_ms), one = digit_case(1, options.latency_ms);
  std::printf("\nbest_of_n, %d ms per model answer, fastest of %d runs after a warm-up\n",
              options.latency_ms, options.runs);
  if (!bench.run(one)) return 1;  // warm-up: connections, page cache, the spawner
  auto many = fastest(bench, sixteen, options.runs);
  if (!many) return 1;
  auto single = fastest(bench, one, options.runs);
  if (!single) return 1;
  const double ratio = many->wall_ms / single->wall_ms;
  std::printf("16 candidates x 8 tests: %8.1f ms (CPU: sandboxes %.1f ms, this process %.1f ms)\n",
              many->wall_ms, many->sandbox_cpu_ms, many->own_cpu_ms);
  std::printf(
      "   phases since start: last candidate tested %.1f ms, probing %zu finalists (%zu probes "
      "each) from %.1f ms, selected %.1f ms\n",
      many->tested_ms, many->harness_runs_probing, many->probes, many->probed_ms,
      many->selected_ms);
  std::printf(" 1 candidate  x 8 tests: %8.1f ms (CPU: sandboxes %.1f ms, this process %.1f ms)\n",
              single->wall_ms, single->sandbox_cpu_ms, single->own_cpu_ms);
  std::printf("   phases since start: candidate tested %.1f ms, selected %.1f ms\n",
              single->tested_ms, single->selected_ms);
  std::printf("ratio 16x8 / 1x8: %.3fx\n", ratio);

  const int few = 10;
  const Case loop = calls_case(options.calls), baseline = calls_case(few);
  std::printf("\nproxied calls: one candidate, %d calls against %d in one test function\n",
              options.calls, few);
  if (!bench.run(baseline)) return 1;  // warm-up
  auto with_few = fastest(bench, baseline, options.runs);
  if (!with_few) return 1;
  auto with_many = fastest(bench, loop, options.runs);
  if (!with_many) return 1;
  const double per_call = (with_many->wall_ms - with_few->wall_ms) / (options.calls - few);
  const double cpu_per_call =
      (with_many->sandbox_cpu_ms - with_few->sandbox_cpu_ms) / (options.calls - few);
  std::printf("%d calls: %.1f ms, %d calls: %.1f ms -> %.4f ms per call (sandbox CPU %.4f ms)\n",
              options.calls, with_many->wall_ms, few, with_few->wall_ms, per_call, cpu_per_call);

  std::printf("\nload at the end: %s\n\n", loadavg().c_str());
  std::printf("target best_of_n_16x8_vs_one: %.3fx (goal 1.5x): %s\n", ratio,
              ratio <= 1.5 ? "met" : "MISSED");
  std::printf("target proxied_call_cost: %.4f ms (goal 1 ms): %s\n", per_call,
              per_call <= 1.0 ? "met" : "MISSED");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  std::printf("machine: %u cores (hardware_concurrency), %ld online; load average: %s\n",
              std::thread::hardware_concurrency(), ::sysconf(_SC_NPROCESSORS_ONLN),
              loadavg().c_str());
  if (::geteuid() != 0) return fail("needs root for sandboxes (user namespaces, cgroups)");
  char pattern[] = "/tmp/agentd-bench-best-of-n-XXXXXX";
  if (!::mkdtemp(pattern)) return fail("mkdtemp failed");
  ::chmod(pattern, 0711);
  const int status = bench_main(options, pattern);
  std::error_code ignored;
  std::filesystem::remove_all(pattern, ignored);
  return status;
}
