// Token passing end to end: workers of a fan_out ask run_code for the task's shared scratch
// directory; only the token holder has it mounted, the token moves in FIFO order, and every
// handover is an event. The directory's log shows the uses never overlapped.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;

class SharedTokenTest : public TaskTest {};

TEST_F(SharedTokenTest, OnlyTheHolderUsesTheSharedDirectory) {
  const std::string program =
      "id=$RANDOM$RANDOM; echo \"start $id\" >> /shared/scratch/log; sleep 0.2; "
      "echo \"end $id\" >> /shared/scratch/log; ls /shared";
  json use = {{"tool_calls",
               {{{"name", "run_code"},
                 {"arguments", {{"language", "bash"}, {"code", program}, {"shared", "scratch"}}}}}},
              {"repeat", 3}};
  load({{"roles",
         {{"planner", {{"default", {{"json", {{"subtasks", {"a", "b", "c"}}}}}}}},
          {"worker", {{"steps", {use}}, {"default", {{"text", "done"}}}}},
          {"reducer", {{"default", {{"text", "merged"}}}}}}}});
  json spec = {{"pattern", "fan_out"},
               {"prompt", "Take turns."},
               {"shared_resources", {{{"name", "scratch"}}}},
               {"roles",
                {{"planner", role("strong", "reviewer")},
                 {"worker", role("cheap", "coder")},
                 {"reducer", role("strong", "reviewer")}}}};
  TaskResult result = run(spec);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(events("token.acquired").size() + events("token.handover").size(), 3u);
  EXPECT_EQ(events("token.released").size(), 1u);
  for (const Event& handover : events("token.handover")) {
    EXPECT_EQ(handover.data["resource"], "scratch");
    EXPECT_NE(handover.data["from"], handover.data["to"]);
  }
  // start/end pairs never interleave.
  std::ifstream log(workspace_root_ / "task-1" / "shared" / "scratch" / "log");
  std::vector<std::string> lines;
  for (std::string line; std::getline(log, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u);
  for (size_t i = 0; i < lines.size(); i += 2) {
    ASSERT_EQ(lines[i].rfind("start ", 0), 0u) << lines[i];
    EXPECT_EQ(lines[i + 1], "end " + lines[i].substr(6));
  }
}

TEST_F(SharedTokenTest, AnUnknownResourceIsAnErrorForTheModel) {
  json use = {{"tool_calls",
               {{{"name", "run_code"},
                 {"arguments", {{"language", "bash"}, {"code", "true"}, {"shared", "gpu0"}}}}}}};
  load({{"roles",
         {{"planner", {{"default", {{"json", {{"subtasks", {"a"}}}}}}}},
          {"worker", {{"steps", {use}}, {"default", {{"text", "done"}}}}},
          {"reducer", {{"default", {{"text", "merged"}}}}}}}});
  json spec = {{"pattern", "fan_out"},
               {"prompt", "x"},
               {"roles",
                {{"planner", role("strong", "reviewer")},
                 {"worker", role("cheap", "coder")},
                 {"reducer", role("strong", "reviewer")}}}};
  TaskResult result = run(spec);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  const json messages = requests_of("worker")[1]["request"]["messages"];
  EXPECT_EQ(messages.back()["content"], "run_code: the task has no shared resource \"gpu0\"");
  EXPECT_TRUE(events("sandbox.result").empty());
}

}  // namespace
}  // namespace agents::testing
