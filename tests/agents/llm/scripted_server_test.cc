// The scripted LLM server's own behaviour, through plain HTTP: routes, header-driven faults,
// the role marker, refusal of bad scripts, and a thousand connections at once.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "tests/fixtures/scripted_llm/chat_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;

class ScriptedServerTest : public ScriptedLlmTest {
 protected:
  http::Response exchange(http::Request request) {
    std::optional<http::Response> response;
    http_.async_request(std::move(request), [&](boost::system::error_code, http::Response r) {
      response = std::move(r);
    });
    EXPECT_TRUE(run_until(io_, [&] { return response.has_value(); }));
    return response.value_or(http::Response{});
  }
  http::Request chat_post(const json& body, std::vector<std::string> headers = {}) {
    http::Request request;
    request.method = "POST";
    request.url = server_->base_url() + "/chat/completions";
    request.body = body.dump();
    request.headers = std::move(headers);
    request.headers.push_back("Content-Type: application/json");
    return request;
  }
};

TEST_F(ScriptedServerTest, ModelsEndpointListsTheScriptedModels) {
  load({{"models", {"alpha", "beta"}}});
  http::Request get;
  get.url = server_->base_url() + "/models";
  const http::Response response = exchange(get);
  ASSERT_EQ(response.status, 200) << response.error;
  const json models = json::parse(response.body);
  ASSERT_EQ(models["data"].size(), 2u);
  EXPECT_EQ(models["data"][1]["id"], "beta");
}

TEST_F(ScriptedServerTest, HeaderFaultOverridesTheScript) {
  load({{"default", {{"text", "fine"}}}});
  const json body = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  const http::Response faulted = exchange(chat_post(body, {"X-Scripted-Fault: 503"}));
  EXPECT_EQ(faulted.status, 503);
  EXPECT_EQ(json::parse(faulted.body)["error"]["message"], "scripted 503");
  const http::Response limited = exchange(chat_post(body, {"X-Scripted-Fault: 429"}));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After").value_or(""), "1");
  const http::Response plain = exchange(chat_post(body));
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(json::parse(plain.body)["choices"][0]["message"]["content"], "fine");
}

TEST_F(ScriptedServerTest, RoleComesFromTheHeaderOrTheSystemMarker) {
  load(json::parse(R"({"roles": {"judge": {"default": {"text": "verdict"}},
                                 "worker": {"default": {"text": "work"}}}})"));
  const json marked = {{"model", "m"},
                       {"messages",
                        {{{"role", "system"}, {"content", "You judge. [role:judge]"}},
                         {{"role", "user"}, {"content", "hi"}}}}};
  const json unmarked = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  const auto content = [](const http::Response& r) {
    return json::parse(r.body)["choices"][0]["message"]["content"].get<std::string>();
  };
  EXPECT_EQ(content(exchange(chat_post(marked))), "verdict");
  EXPECT_EQ(content(exchange(chat_post(marked, {"X-Agentd-Role: worker"}))), "work");
  EXPECT_EQ(content(exchange(chat_post(unmarked))), "ok (default 1)");
  const json log = requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0]["role"], "judge");
  EXPECT_EQ(log[1]["role"], "worker");
  EXPECT_EQ(log[2]["step"], "built-in");
}

TEST_F(ScriptedServerTest, BadScriptsAndBadRequestsAreRefusedWithTheReason) {
  const auto refused = server_->load_script(
      json::parse(R"({"roles": {"w": {"steps": [{"text": "a"}, {"fault": "teapot"}]}}})"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("roles.w.steps[1].fault"), std::string::npos)
      << refused.error().message;
  http::Request bad = chat_post(json::object());
  bad.body = "{not json";
  const http::Response response = exchange(bad);
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("bad chat request"), std::string::npos);
}

// Makes room for `needed` descriptors; false when the hard limit is too low.
bool raise_fd_limit(rlim_t needed) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= needed) return true;
  if (limit.rlim_max < needed) return false;
  limit.rlim_cur = needed;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

base::UniqueFd connect_to(int port) {
  base::UniqueFd socket_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket_fd) return socket_fd;
  const timeval limit{.tv_sec = 60, .tv_usec = 0};
  ::setsockopt(socket_fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket_fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address)) {
    return base::UniqueFd();
  }
  return socket_fd;
}

std::string read_to_end(int fd) {
  std::string data;
  char buffer[4096];
  ssize_t got = 0;
  while ((got = ::read(fd, buffer, sizeof buffer)) > 0)
    data.append(buffer, static_cast<size_t>(got));
  return data;
}

TEST_F(ScriptedServerTest, ServesAThousandConcurrentConnections) {
  constexpr int kConnections = 1000;
  if (!raise_fd_limit(kConnections + 200)) {
    GTEST_SKIP() << "RLIMIT_NOFILE's hard limit is below " << kConnections + 200;
  }
  // A long latency keeps every connection open at the server while the others arrive.
  load({{"latency_ms", 2000}, {"default", {{"text", "x"}}}});
  const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
  const std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  std::vector<base::UniqueFd> sockets;
  for (int i = 0; i < kConnections; ++i) {
    sockets.push_back(connect_to(server_->port()));
    ASSERT_TRUE(sockets.back()) << "connection " << i << ": " << std::strerror(errno);
    ASSERT_EQ(::send(sockets.back().get(), request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
  }
  int answered = 0;
  for (const auto& socket_fd : sockets) {
    answered += read_to_end(socket_fd.get()).starts_with("HTTP/1.1 200") ? 1 : 0;
  }
  EXPECT_EQ(answered, kConnections);
  const auto stats = server_->stats();
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_GE((*stats)["connections_peak"].get<int>(), kConnections);
  EXPECT_GE((*stats)["requests_in_flight_peak"].get<int>(), kConnections / 2);
  EXPECT_EQ((*stats)["requests_total"].get<int>(), kConnections);
}

}  // namespace
}  // namespace agents::testing
