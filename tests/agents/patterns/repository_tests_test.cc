// A repository's own tests judging a tree, in real sandboxes: the base run's ids, a candidate
// that reports fewer tests fails them, a command without "{junit_xml}" is judged by its exit
// status, a setup_command that fails fails every test, and a report that is a link (to
// /etc/passwd) is never followed. The globs and the verdicts themselves need no sandbox.
#include "agents/patterns/repository_tests.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "agents/runtime/task_context.h"
#include "policies/workspace_path.h"
#include "tests/agents/run_until.h"
#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using patterns::RepositoryTesting;
using patterns::TestOutcome;
using repo::JunitCase;

// Writes a JUnit report of the cases listed in cases.txt ("name pass|fail|skip" lines) to the
// path it is given, and exits 1 when one of them failed.
const char* const kRunner = R"(import sys
lines = [l.split() for l in open('cases.txt') if l.strip()]
with open(sys.argv[1], 'w') as f:
    f.write('<?xml version="1.0"?>\n<testsuites><testsuite name="t">\n')
    for name, outcome in lines:
        if outcome == 'pass':
            f.write('<testcase classname="t" name="%s"/>\n' % name)
        elif outcome == 'skip':
            f.write('<testcase classname="t" name="%s"><skipped message="later"/></testcase>\n' % name)
        else:
            f.write('<testcase classname="t" name="%s"><failure message="%s broke"/></testcase>\n' % (name, name))
    f.write('</testsuite></testsuites>\n')
print('ran', len(lines))
sys.exit(1 if any(o == 'fail' for _, o in lines) else 0)
)";

const std::vector<std::string> kRunnerCommand = {"python3", "run_tests.py", "{junit_xml}"};

class RepositoryTestsTest : public TaskTest {
 protected:
  void TearDown() override {
    context_.reset();
    TaskTest::TearDown();
  }

  // A fresh tree with `files`, open to the sandboxes' uids as repo::make_test_tree leaves it.
  fs::path make_tree(const std::map<std::string, std::string>& files) {
    fs::path tree = workspace_root_ / ("tree-" + std::to_string(++trees_));
    fs::create_directories(tree);
    ::chmod(tree.c_str(), 0777);
    for (const auto& [path, content] : files) {
      std::ofstream(tree / path) << content;
      ::chmod((tree / path).c_str(), 0666);
    }
    return tree;
  }

  RepositoryTesting run_tests(const fs::path& tree, const std::vector<std::string>& test_command,
                              const std::vector<std::string>& base_ids = {},
                              const std::vector<std::string>& setup_command = {}) {
    context_.reset();
    spec_ = TaskSpec{};
    spec_.pattern = PatternKind::best_of_n;
    spec_.repository = RepositorySpec{};
    spec_.repository->path = "/unused";
    spec_.repository->test_command = test_command;
    spec_.repository->setup_command = setup_command;
    context_.emplace(env(), spec_, "task-1");
    std::optional<RepositoryTesting> testing;
    boost::asio::co_spawn(
        io_,
        [](runtime::TaskContext& task, const policies::Compiled& policy, fs::path tree,
           std::vector<std::string> base_ids,
           std::optional<RepositoryTesting>& out) -> boost::asio::awaitable<void> {
          out = co_await patterns::run_repository_tests(task, policy, "coder-1", tree, base_ids);
        }(*context_, *policies_.at("tester"), tree, base_ids, testing),
        boost::asio::detached);
    EXPECT_TRUE(run_until(
        io_, [&] { return testing.has_value(); }, std::chrono::seconds(60)));
    return testing.value_or(RepositoryTesting{});
  }

  static std::string summary(const RepositoryTesting& testing) {
    std::string text = "error: " + testing.error + "\noutput: " + testing.output_tail + "\n";
    for (const TestOutcome& o : testing.outcomes)
      text += o.name + (o.passed ? " passed " : " failed ") + o.detail + "\n";
    return text;
  }

  TaskSpec spec_;
  std::optional<runtime::TaskContext> context_;
  int trees_ = 0;
};

TEST_F(RepositoryTestsTest, TheBaseRunsIdsAndACandidateReportingFewerTestsFailsThem) {
  const fs::path base =
      make_tree({{"run_tests.py", kRunner}, {"cases.txt", "a pass\nb fail\nc pass\nlater skip\n"}});
  RepositoryTesting first = run_tests(base, kRunnerCommand);
  ASSERT_TRUE(first.error.empty()) << summary(first);
  EXPECT_TRUE(first.from_report);
  EXPECT_EQ(first.ids, (std::vector<std::string>{"t::a", "t::b", "t::c"}));
  ASSERT_EQ(first.outcomes.size(), 3u) << summary(first);
  EXPECT_TRUE(first.outcomes[0].passed);
  EXPECT_FALSE(first.outcomes[1].passed);
  EXPECT_EQ(first.outcomes[1].detail, "b broke");
  EXPECT_EQ(first.exit_code, 1);
  EXPECT_NE(first.output_tail.find("ran 4"), std::string::npos) << first.output_tail;
  auto tested = events("repository.tests", "coder-1");
  ASSERT_EQ(tested.size(), 1u);
  EXPECT_EQ(tested[0].data, (json{{"passed", 2}, {"total", 3}, {"from_report", true}}));

  // The candidate's run passes what it reports, but it left b and c out: they fail. Its exit
  // status (0) decides nothing, and an id the base never had counts for nothing.
  const fs::path candidate =
      make_tree({{"run_tests.py", kRunner}, {"cases.txt", "a pass\nextra pass\n"}});
  RepositoryTesting second = run_tests(candidate, kRunnerCommand, first.ids);
  ASSERT_EQ(second.outcomes.size(), 3u) << summary(second);
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_TRUE(second.outcomes[0].passed);
  for (size_t i : {1u, 2u}) {
    EXPECT_FALSE(second.outcomes[i].passed);
    EXPECT_EQ(second.outcomes[i].detail, "not reported (the base commit's run reports it)");
  }
  EXPECT_EQ(second.ids, (std::vector<std::string>{"t::a", "t::extra"}));
}

TEST_F(RepositoryTestsTest, EachRunWritesItsReportUnderANewName) {
  const char* runner =
      "import sys\nopen('names.txt', 'a').write(sys.argv[1] + '\\n')\n"
      "open(sys.argv[1], 'w').write('<testsuite/>')\n";
  const fs::path tree = make_tree({{"run.py", runner}});
  run_tests(tree, {"python3", "run.py", "{junit_xml}"});
  run_tests(tree, {"python3", "run.py", "{junit_xml}"});
  std::ifstream in(tree / "names.txt");
  std::string one, two;
  std::getline(in, one);
  std::getline(in, two);
  EXPECT_EQ(one.rfind("/workspace/.agentd-junit-", 0), 0u) << one;
  EXPECT_EQ(one.size(), std::string("/workspace/.agentd-junit-.xml").size() + 32) << one;
  EXPECT_NE(one, two);
}

TEST_F(RepositoryTestsTest, WithoutThePlaceholderTheVerdictIsTheExitStatus) {
  const fs::path tree = make_tree({});
  RepositoryTesting failed = run_tests(tree, {"python3", "-c", "import sys; sys.exit(3)"});
  EXPECT_FALSE(failed.from_report);
  ASSERT_EQ(failed.outcomes.size(), 1u) << summary(failed);
  EXPECT_EQ(failed.outcomes[0].name, "test_command");
  EXPECT_FALSE(failed.outcomes[0].passed);
  EXPECT_EQ(failed.outcomes[0].detail, "test_command exited with status 3");

  RepositoryTesting passed = run_tests(tree, {"true"}, {"t::a", "t::b"});
  ASSERT_EQ(passed.outcomes.size(), 1u) << summary(passed);
  EXPECT_TRUE(passed.outcomes[0].passed);
}

TEST_F(RepositoryTestsTest, AFailedSetupFailsEveryTestAndASuccessfulOneIsSeenByTheTests) {
  const fs::path tree = make_tree({{"run_tests.py", kRunner}, {"cases.txt", "a pass\n"}});
  RepositoryTesting broken = run_tests(tree, kRunnerCommand, {"t::a", "t::b"},
                                       {"sh", "-c", "echo no compiler >&2; exit 2"});
  ASSERT_EQ(broken.outcomes.size(), 2u) << summary(broken);
  for (const TestOutcome& o : broken.outcomes) {
    EXPECT_FALSE(o.passed);
    EXPECT_EQ(o.detail, "setup_command exited with status 2");
  }
  EXPECT_NE(broken.output_tail.find("no compiler"), std::string::npos);

  RepositoryTesting built =
      run_tests(tree, kRunnerCommand, {"t::a"}, {"sh", "-c", "echo 'b pass' >> cases.txt"});
  ASSERT_EQ(built.outcomes.size(), 1u) << summary(built);
  EXPECT_TRUE(built.outcomes[0].passed) << summary(built);
  EXPECT_EQ(built.ids, (std::vector<std::string>{"t::a", "t::b"}));
}

TEST_F(RepositoryTestsTest, AReportThatIsALinkOrMalformedFailsEveryTest) {
  const fs::path tree = make_tree(
      {{"link.py", "import os, sys\nos.symlink('/etc/passwd', sys.argv[1])\n"},
       {"bad.py", "import sys\nopen(sys.argv[1], 'w').write('<testsuite>\\n<testcase name=')\n"}});
  RepositoryTesting linked = run_tests(tree, {"python3", "link.py", "{junit_xml}"}, {"t::a"});
  ASSERT_EQ(linked.outcomes.size(), 1u) << summary(linked);
  EXPECT_FALSE(linked.outcomes[0].passed);
  EXPECT_NE(linked.outcomes[0].detail.find("no JUnit report"), std::string::npos)
      << linked.outcomes[0].detail;
  EXPECT_EQ(linked.outcomes[0].detail.find("root:"), std::string::npos);

  RepositoryTesting base_linked = run_tests(tree, {"python3", "link.py", "{junit_xml}"});
  ASSERT_EQ(base_linked.outcomes.size(), 1u) << summary(base_linked);
  EXPECT_FALSE(base_linked.outcomes[0].passed);
  EXPECT_TRUE(base_linked.ids.empty());

  RepositoryTesting malformed = run_tests(tree, {"python3", "bad.py", "{junit_xml}"}, {"t::a"});
  ASSERT_EQ(malformed.outcomes.size(), 1u) << summary(malformed);
  EXPECT_NE(malformed.outcomes[0].detail.find("JUnit report, line 2"), std::string::npos)
      << malformed.outcomes[0].detail;
}

TEST_F(RepositoryTestsTest, PytestInTheSandboxWritesTheReport) {
  if (std::system("/usr/bin/python3 -m pytest --version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "pytest is not installed for /usr/bin/python3 (Debian python3-pytest)";
  const fs::path tree = make_tree({{"test_add.py",
                                    "def test_ok():\n    assert 1 + 1 == 2\n"
                                    "def test_bad():\n    assert 1 + 1 == 3\n"}});
  RepositoryTesting testing = run_tests(
      tree, {"python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml={junit_xml}"});
  EXPECT_EQ(testing.ids, (std::vector<std::string>{"test_add::test_ok", "test_add::test_bad"}))
      << summary(testing);
  ASSERT_EQ(testing.outcomes.size(), 2u) << summary(testing);
  EXPECT_TRUE(testing.outcomes[0].passed);
  EXPECT_FALSE(testing.outcomes[1].passed);
}

// What needs no sandbox.
TEST(RepositoryTests, DefaultProtectedPathsAreValidGlobsThatCoverTestsAndRunnerConfiguration) {
  for (const std::string& glob : patterns::default_protected_paths())
    EXPECT_FALSE(policies::glob_problem(glob).has_value()) << glob;
  const auto is_protected = patterns::protected_path_matcher(RepositorySpec{});
  for (const char* path :
       {"tests/test_x.py", "pkg/tests/data/in.txt", "test_top.py", "src/pkg/thing_test.py",
        "conftest.py", "src/conftest.py", "pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml",
        "sitecustomize.py", "lib/usercustomize.py", "site-packages/evil.pth", "web/a.test.js",
        "go/x_test.go", "jest.config.js", ".mocharc.yml", "package.json"})
    EXPECT_TRUE(is_protected(path)) << path;
  for (const char* path : {"src/add.py", "README.md", "src/testament.py", "lib/contest.py"})
    EXPECT_FALSE(is_protected(path)) << path;

  RepositorySpec own;
  own.protected_paths = {"checks/**"};
  const auto only_own = patterns::protected_path_matcher(own);
  EXPECT_TRUE(only_own("checks/run.sh"));
  EXPECT_FALSE(only_own("tests/test_x.py")) << "the spec's globs replace the defaults";
}

TEST(RepositoryTests, VerdictsAgainstTheBaseIds) {
  using Outcome = JunitCase::Outcome;
  const std::vector<JunitCase> cases = {{"t::a", Outcome::passed, ""},
                                        {"t::b", Outcome::skipped, "later"},
                                        {"t::c", Outcome::error, "boom"},
                                        {"t::new", Outcome::passed, ""}};
  RepositoryTesting testing;
  patterns::judge_report(cases, {"t::a", "t::b", "t::c", "t::gone"}, testing);
  ASSERT_EQ(testing.outcomes.size(), 4u);
  EXPECT_TRUE(testing.outcomes[0].passed);
  EXPECT_FALSE(testing.outcomes[1].passed) << "skipped where the base ran it";
  EXPECT_EQ(testing.outcomes[1].detail, "skipped (the base commit's run runs it)");
  EXPECT_FALSE(testing.outcomes[2].passed);
  EXPECT_EQ(testing.outcomes[2].output, "error");
  EXPECT_FALSE(testing.outcomes[3].passed);
  EXPECT_EQ(testing.outcomes[3].output, "absent");
  EXPECT_EQ(testing.outcomes[3].test, 3u);
  EXPECT_EQ(testing.ids, (std::vector<std::string>{"t::a", "t::c", "t::new"}));
}

}  // namespace
}  // namespace agents::testing
