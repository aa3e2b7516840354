// The per-endpoint circuit breaker and the bound on a request's retry time (issue 11): a dead
// endpoint is asked only until the breaker opens, then every request fails at once and says
// why; after the cool-down one trial request decides; a hanging endpoint cannot hold one
// request past max_retry_time. Requests are counted on the scripted server or as llm.request
// events (for an endpoint where nothing listens).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "agents/llm/client.h"
#include "tests/fixtures/scripted_llm/chat_fixture.h"

namespace agents::llm {
namespace {

using agents::testing::ChatResult;
using agents::testing::EventLog;
using nlohmann::json;
using std::chrono::milliseconds;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A loopback port where nothing listens: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0)
    return 0;
  ::close(fd);
  return ntohs(address.sin_port);
}

class LlmBreakerTest : public agents::testing::ScriptedLlmTest {
 protected:
  ModelConfig breaking(uint32_t failures, milliseconds cool_down, uint32_t max_retries) {
    ModelConfig config = model();
    config.breaker = {failures, cool_down};
    config.max_retries = max_retries;
    return config;
  }
};

TEST_F(LlmBreakerTest, ADeadEndpointIsAskedOnlyUntilTheBreakerOpens) {
  load({{"default", {{"fault", "503"}}}});
  auto client = make_client({breaking(3, std::chrono::seconds(60), 4)}, quick_retries());
  const auto first = chat(*client, request("test", "worker", "hi"));
  ASSERT_FALSE(first.ok());
  // The third failure opened it; the fourth attempt never went out.
  EXPECT_EQ(first.error().message,
            "model test: endpoint " + server_->base_url() +
                " is failing (3 consecutive failures, last: HTTP 503: scripted 503); not "
                "retrying for 60 s")
      << first.error().message;
  // Other agents and tasks using the endpoint fail at once, without asking it.
  for (int i = 0; i < 3; ++i) {
    const auto later = chat(*client, request("test", "worker", "hi"));
    ASSERT_FALSE(later.ok());
    EXPECT_TRUE(contains(later.error().message, "is failing (3 consecutive failures"))
        << later.error().message;
  }
  EXPECT_EQ(requests().size(), 3u);
}

TEST_F(LlmBreakerTest, ConnectionRefusedCountsAndTheErrorSaysSo) {
  const int port = closed_port();
  ASSERT_NE(port, 0);
  ModelConfig dead = breaking(2, std::chrono::seconds(30), 4);
  dead.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  EventLog events;
  auto client = make_client({dead}, quick_retries(&events));
  for (int i = 0; i < 4; ++i) {
    const auto reply = chat(*client, request("test", "worker", "hi"));
    ASSERT_FALSE(reply.ok());
    EXPECT_TRUE(contains(reply.error().message, "endpoint " + dead.base_url +
                                                    " is failing (2 consecutive failures, last: "))
        << reply.error().message;
  }
  EXPECT_EQ(events.of_type("llm.request").size(), 2u);  // what the dead endpoint received
}

TEST_F(LlmBreakerTest, AfterTheCoolDownOneTrialRequestDecides) {
  load({{"default", {{"fault", "503"}}}});
  auto client = make_client({breaking(1, milliseconds(300), 0)}, quick_retries());
  EXPECT_FALSE(chat(*client, request("test", "worker", "hi")).ok());  // opens it
  std::this_thread::sleep_for(milliseconds(350));
  EXPECT_FALSE(chat(*client, request("test", "worker", "hi")).ok());    // the trial fails
  const auto refused = chat(*client, request("test", "worker", "hi"));  // open again
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message, "not retrying for 1 s")) << refused.error().message;
  EXPECT_EQ(requests().size(), 2u);

  load({{"default", {{"text", "back"}, {"latency_ms", 200}}}});
  std::this_thread::sleep_for(milliseconds(350));
  ChatResult trial;
  ChatResult beside;
  start_chat(*client, request("test", "worker", "hi"), trial);
  start_chat(*client, request("test", "worker", "hi"), beside);
  ASSERT_TRUE(agents::testing::run_until(io_, [&] { return trial && beside; }));
  ASSERT_TRUE(trial->ok()) << trial->error().message;
  ASSERT_FALSE(beside->ok());
  EXPECT_TRUE(contains(beside->error().message, "a trial request is under way"))
      << beside->error().message;
  // The trial's success closed it.
  const auto after = chat(*client, request("test", "worker", "hi"));
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(requests().size(), 2u);  // the trial and the one after
}

TEST_F(LlmBreakerTest, AnswersThatAreNotTheEndpointsFaultKeepItClosed) {
  // 400s and malformed bodies come from a live server: they reset the count.
  load({{"roles",
         {{"worker",
           {{"steps", json::parse(R"([{"fault": "503"}, {"fault": "400"}, {"fault": "503"},
                                      {"fault": "malformed"}, {"fault": "503"}])")},
            {"default", {{"text", "fine"}}}}}}}});
  auto client = make_client({breaking(2, std::chrono::seconds(60), 0)}, quick_retries());
  for (bool ok : {false, false, false, false, false})
    EXPECT_EQ(chat(*client, request("test", "worker", "hi")).ok(), ok);
  const auto reply = chat(*client, request("test", "worker", "hi"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(requests().size(), 6u);
}

TEST_F(LlmBreakerTest, MaxRetryTimeBoundsAHangingRequest) {
  load({{"default", {{"fault", "hang"}}}});
  ModelConfig config = breaking(0, std::chrono::seconds(30), 10);  // breaker off
  config.timeout = milliseconds(500);
  config.max_retry_time = milliseconds(1200);
  auto client = make_client({config}, quick_retries());
  const auto started = std::chrono::steady_clock::now();
  const auto reply = chat(*client, request("test", "worker", "hi"));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(contains(reply.error().message, "(max_retry_time 1.2 s): no complete answer"))
      << reply.error().message;
  // Eleven attempts of 500 ms took 5.5 s before; now the retries end within 1.2 s.
  EXPECT_LT(took, milliseconds(2000));
  EXPECT_LE(requests().size(), 4u);
}

}  // namespace
}  // namespace agents::llm
