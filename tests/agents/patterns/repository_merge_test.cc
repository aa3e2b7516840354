// fan_out on a repository, end to end against the scripted server: the planner sees the
// repository's files, two workers change it on their own branches in parallel, and the reduce
// step merges their branches in a worktree of its own. Disjoint changes merge cleanly; a
// conflict on one line goes to the merge agent, whose resolution is the result; a merge agent
// that leaves the markers gets that branch left out and reported, the other kept; the merged
// tree runs the repository's test_command before the task succeeds.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class RepositoryMergeTest : public TaskTest {
 protected:
  void SetUp() override {
    TaskTest::SetUp();
    if (IsSkipped()) return;
    if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "needs the git CLI";
    char templ[] = "/tmp/agentd-merge-task-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    origin_ = templ;
    git("init -q -b main .");
    write("src/a.py", "A = 0\n");
    write("src/b.py", "B = 0\n");
    write("shared.py", "first = 1\nvalue = 0\nlast = 2\n");
    git("add -A");
    git("commit -q -m base");
  }
  void TearDown() override {
    TaskTest::TearDown();
    if (!origin_.empty()) fs::remove_all(origin_);
  }

  void write(const std::string& path, const std::string& text) {
    fs::create_directories((origin_ / path).parent_path());
    std::ofstream(origin_ / path) << text;
  }
  void git(const std::string& args) {
    const std::string command =
        "git -C " + origin_.string() + " -c user.name=t -c user.email=t@t " + args + " >/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  std::string git_output(const std::string& args) {
    const std::string command = "git -C " + origin_.string() + " " + args;
    std::string out;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
      char buffer[512];
      while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
      ::pclose(pipe);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  json spec(bool with_merger = true) const {
    json roles = {{"planner", role("strong", "reviewer")},
                  {"worker", role("cheap", "coder")},
                  {"reducer", role("strong", "reviewer")}};
    if (with_merger) roles["merger"] = role("strong", "coder");
    return {{"pattern", "fan_out"},
            {"prompt", "Set the values."},
            {"roles", roles},
            {"repository", {{"path", origin_.string()}}}};
  }
  static json write_file(const std::string& path, const std::string& content) {
    return {{"tool_calls",
             {{{"name", "write_file"}, {"arguments", {{"path", path}, {"content", content}}}}}},
            {"latency_ms", 300}};  // both workers' first turns are in flight together
  }
  // Two workers, each writing one file first (which worker takes which step is up to arrival:
  // the files, not the agents, are what the tests check), then answering.
  void load_workers(const json& first, const json& second, const json& merger) {
    load({{"roles",
           {{"planner", {{"default", {{"json", {{"subtasks", {"first part", "second part"}}}}}}}},
            {"worker", {{"steps", {first, second}}, {"default", {{"text", "changed"}}}}},
            {"merger", merger},
            {"reducer", {{"default", {{"text", "all merged"}}}}}}}});
  }
  json merged_event() const {
    auto found = events("repository.merged");
    return found.empty() ? json() : found.back().data;
  }

  fs::path origin_;
};

TEST_F(RepositoryMergeTest, WorkersOnDifferentFilesMergeCleanly) {
  load_workers(write_file("src/a.py", "A = 1\n"), write_file("src/b.py", "B = 2\n"),
               {{"default", {{"text", "nothing to do"}}}});
  json with_tests = spec();
  // The merged tree's own test: both workers' changes must be in it.
  with_tests["repository"]["test_command"] = {"python3", "-c",
                                              "import sys; sys.path.insert(0, 'src'); import a, b; "
                                              "sys.exit(0 if (a.A, b.B) == (1, 2) else 1)"};
  TaskResult result = run(with_tests);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.answer, "all merged");
  const json& repository = result.repository;
  ASSERT_TRUE(repository.is_object());
  EXPECT_EQ(repository["files"], (json{"src/a.py", "src/b.py"}));
  const std::string patch = repository["patch"];
  EXPECT_NE(patch.find("+A = 1"), std::string::npos) << patch;
  EXPECT_NE(patch.find("+B = 2"), std::string::npos) << patch;
  EXPECT_EQ(repository["tests"]["passed"], 1) << repository["tests"].dump();
  // The merged branch is in the repository, a merge commit at its head; main did not move.
  const std::string head = repository["head"];
  EXPECT_EQ(git_output("rev-parse " + repository["branch"].get<std::string>()), head);
  EXPECT_EQ(git_output("rev-list --parents -n 1 " + head).size(), 3 * 40 + 2);
  EXPECT_EQ(git_output("rev-parse main"), repository["base"]);
  const json merged = merged_event();
  EXPECT_EQ(merged["merged"], (json{"worker-1", "worker-2"}));
  EXPECT_TRUE(merged["conflicts"].empty());
  EXPECT_TRUE(requests_of("merger").empty()) << "no conflict, no merge agent";
  // The planner saw the repository's files; the workers were told where they work.
  const std::string planner_prompt = requests_of("planner").at(0)["last_user"];
  EXPECT_NE(planner_prompt.find("src/a.py"), std::string::npos) << planner_prompt;
  const std::string worker_prompt = requests_of("worker").at(0)["last_user"];
  EXPECT_NE(worker_prompt.find("/workspace"), std::string::npos) << worker_prompt;
}

TEST_F(RepositoryMergeTest, AConflictGoesToTheMergeAgentWhoseResolutionIsTheResult) {
  load_workers(write_file("shared.py", "first = 1\nvalue = 10\nlast = 2\n"),
               write_file("shared.py", "first = 1\nvalue = 20\nlast = 2\n"),
               {{"steps", {write_file("shared.py", "first = 1\nvalue = 30\nlast = 2\n")}},
                {"default", {{"text", "resolved: 30"}}}});
  TaskResult result = run(spec());
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  const std::string patch = result.repository["patch"];
  EXPECT_NE(patch.find("+value = 30"), std::string::npos) << patch;
  EXPECT_EQ(patch.find("<<<<<<<"), std::string::npos) << patch;
  const json merged = merged_event();
  EXPECT_EQ(merged["merged"], (json{"worker-1", "worker-2"}));
  EXPECT_EQ(merged["conflicts"], (json{"worker-2"}));
  EXPECT_TRUE(merged["left_out"].empty());
  // The merge agent was told the conflicted file and both sides' subtasks.
  const std::string prompt = requests_of("merger").at(0)["last_user"];
  for (const char* expected : {"shared.py", "first part", "second part", "<<<<<<< ours"})
    EXPECT_NE(prompt.find(expected), std::string::npos) << expected << " in " << prompt;
  // Its resolution concluded a merge of both sides.
  const std::string head = result.repository["head"];
  EXPECT_EQ(git_output("rev-list --parents -n 1 " + head).size(), 3 * 40 + 2);
}

TEST_F(RepositoryMergeTest, AMergeAgentThatLeavesMarkersGetsThatBranchLeftOut) {
  load_workers(write_file("shared.py", "first = 1\nvalue = 10\nlast = 2\n"),
               write_file("shared.py", "first = 1\nvalue = 20\nlast = 2\n"),
               {{"default", {{"text", "I could not decide"}}}});
  TaskResult result = run(spec(/*with_merger=*/false));  // the reducer's role merges then
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  const json merged = merged_event();
  EXPECT_EQ(merged["merged"], (json{"worker-1"}));
  ASSERT_EQ(merged["left_out"].size(), 1u);
  EXPECT_EQ(merged["left_out"][0]["agent"], "worker-2");
  EXPECT_NE(merged["left_out"][0]["reason"].get<std::string>().find("conflict markers"),
            std::string::npos);
  EXPECT_EQ(result.details["repository"]["left_out"][0]["agent"], "worker-2");
  // The first worker's change is the result, without markers.
  const std::string patch = result.repository["patch"];
  EXPECT_EQ(patch.find("<<<<<<<"), std::string::npos) << patch;
  const bool one_value = (patch.find("+value = 10") == std::string::npos) !=
                         (patch.find("+value = 20") == std::string::npos);
  EXPECT_TRUE(one_value) << patch;
  EXPECT_FALSE(requests_of("reducer").empty());
}

TEST_F(RepositoryMergeTest, AMergedTreeThatFailsItsTestsFailsTheTask) {
  load_workers(write_file("src/a.py", "A = 1\n"), write_file("src/b.py", "B = 2\n"),
               {{"default", {{"text", "nothing to do"}}}});
  json with_tests = spec();
  with_tests["repository"]["test_command"] = {"python3", "-c", "raise SystemExit(3)"};
  TaskResult result = run(with_tests);
  EXPECT_EQ(result.status, TaskStatus::failed);
  EXPECT_EQ(result.error.rfind("the merged tree fails 1 of 1 tests", 0), 0u) << result.error;
  EXPECT_TRUE(requests_of("reducer").empty()) << "no answer from a tree that fails its tests";
  EXPECT_TRUE(result.repository.is_object()) << "the merged branch is reported all the same";
}

TEST_F(RepositoryMergeTest, DagStepsChangeBranchesThatMergeIntoTheResult) {
  auto agent_step = [](const std::string& id, const std::string& prompt, json deps) {
    return json{
        {"id", id}, {"tool", "agent"}, {"input", {{"prompt", prompt}}}, {"depends_on", deps}};
  };
  const json plan = {{"steps",
                      {agent_step("first", "Set A.", json::array()),
                       agent_step("second", "Set B on top of A.", {"first"}),
                       {{"id", "notes"},
                        {"tool", "write_file"},
                        {"input", {{"path", "NOTES"}, {"content", "values set\n"}}}}}},
                     {"answer", "second"}};
  load({{"roles",
         {{"planner", {{"default", {{"json", plan}}}}},
          {"worker",
           {{"steps",
             {write_file("src/a.py", "A = 1\n"),
              {{"text", "A set"}},
              write_file("src/b.py", "B = 2\n"),
              {{"text", "B set"}}}}}}}}});
  json dag = {
      {"pattern", "dag"},
      {"prompt", "Set the values."},
      {"roles", {{"planner", role("strong", "reviewer")}, {"worker", role("cheap", "coder")}}},
      {"repository", {{"path", origin_.string()}}}};
  TaskResult result = run(dag);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.answer, "B set");
  EXPECT_EQ(result.repository["files"], (json{"NOTES", "src/a.py", "src/b.py"}));
  EXPECT_EQ(merged_event()["merged"], (json{"executor", "worker-1", "worker-2"}));
  // The second step's branch started where the first step's ended.
  const auto committed = events("repository.committed", "worker-1");
  const auto second = events("repository.worktree", "worker-2");
  ASSERT_EQ(committed.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].data["base"], committed[0].data["head"]);
}

}  // namespace
}  // namespace agents::testing
