// The scripted LLM server's own behaviour, through plain HTTP: routes, header-driven faults,
// the role marker, and refusal of bad scripts.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/fixtures/scripted_llm/chat_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;

class ScriptedServerTest : public ScriptedLlmTest {
 protected:
  http::Response exchange(http::Request request) {
    std::optional<http::Response> response;
    http_.async_request(std::move(request),
                        [&](boost::system::error_code, http::Response r) { response = r; });
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
                       {"messages", {{{"role", "system"}, {"content", "You judge. [role:judge]"}},
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

}  // namespace
}  // namespace agents::testing
