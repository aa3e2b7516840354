// The http_get tool against the local test server. Names are pinned to addresses with
// HttpGetOptions::resolve ("allowed.test" -> 127.0.0.1) instead of DNS. Cases that name a
// forbidden non-loopback address run only in a loopback-only network namespace, so even a
// broken guard could not reach a real host; they also prove no socket was opened for it.
#include "agents/tools/http_get.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "tests/agents/local_server.h"
#include "tests/agents/run_until.h"

namespace agents::tools {
namespace {

namespace asio = boost::asio;
using agents::testing::LocalServer;
using agents::testing::run_until;
using Outcome = HttpGetResult::Outcome;

#define REQUIRE_ISOLATED_NETWORK()                                                   \
  if (!isolation_error_.empty())                                                     \
  GTEST_SKIP() << "needs a loopback-only network namespace so that a failing guard " \
                  "cannot reach a real host: "                                       \
               << isolation_error_

class HttpGetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Before the server starts, so that it lives in the same namespace.
    if (auto isolated = agents::testing::enter_loopback_only_network(); !isolated) {
      isolation_error_ = isolated.error().message;
    }
    auto started = LocalServer::start();
    if (started)
      server_ = std::make_unique<LocalServer>(std::move(*started));
    else
      start_error_ = started.error().message;
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    if (!server_) GTEST_SKIP() << "no local HTTP server: " << start_error_;
    port_ = std::to_string(server_->port());
    scope_.allowed = true;
    scope_.allow_hosts = {"allowed.test", "*.b.org"};
    scope_.allow_private_cidrs = {"127.0.0.1/32"};
    scope_.timeout = std::chrono::seconds(20);
    options_.resolve = {"allowed.test:" + port_ + ":127.0.0.1"};
  }

  std::string allowed_url(const std::string& path) const {
    return "http://allowed.test:" + port_ + path;
  }

  HttpGetResult fetch(const std::string& url, const std::string& method = "GET") {
    std::optional<HttpGetResult> result;
    asio::co_spawn(io_, http_get(client_, scope_, url, method, options_),
                   [&](const std::exception_ptr& error, HttpGetResult r) {
                     EXPECT_FALSE(error) << "http_get threw";
                     result = std::move(r);
                   });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); })) << "http_get never ended";
    return result.value_or(HttpGetResult{});
  }

  static inline std::unique_ptr<LocalServer> server_;
  static inline std::string start_error_;
  static inline std::string isolation_error_;
  asio::io_context io_;
  http::Client client_{io_.get_executor()};
  std::string port_;
  policies::HttpGetScope scope_;
  HttpGetOptions options_;
};

TEST_F(HttpGetTest, AllowedHostIsFetched) {
  const HttpGetResult result = fetch(allowed_url("/echo/hello"));
  EXPECT_EQ(result.outcome, Outcome::fetched) << result.message;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "hello");
  EXPECT_EQ(result.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(result.final_url, allowed_url("/echo/hello"));
  EXPECT_FALSE(result.truncated);
}

TEST_F(HttpGetTest, HostNotInTheAllowlistIsRefusedWithoutAnyConnection) {
  const uint64_t sockets_before = client_.sockets_opened();
  const HttpGetResult result = fetch("http://example.org/");
  EXPECT_EQ(result.outcome, Outcome::refused);
  EXPECT_EQ(result.message,
            "http_get refused: example.org is not in the allowlist [allowed.test, *.b.org]");
  // Credentials before the host do not fool the check: libcurl's own parser finds the host.
  EXPECT_EQ(fetch("http://allowed.test@example.org/").outcome, Outcome::refused);
  EXPECT_EQ(client_.sockets_opened(), sockets_before);
}

TEST_F(HttpGetTest, NameResolvingToLoopbackIsRefusedUnlessThePolicyListsIt) {
  scope_.allow_private_cidrs.clear();
  const uint64_t sockets_before = client_.sockets_opened();
  const HttpGetResult refused = fetch(allowed_url("/echo/hello"));
  EXPECT_EQ(refused.outcome, Outcome::refused);
  EXPECT_NE(refused.message.find("connecting to allowed.test: 127.0.0.1 is a loopback address"),
            std::string::npos)
      << refused.message;
  EXPECT_EQ(client_.sockets_opened(), sockets_before) << "refused before the socket existed";

  scope_.allow_private_cidrs = {"127.0.0.1/32"};
  const HttpGetResult allowed = fetch(allowed_url("/echo/hello"));
  EXPECT_EQ(allowed.outcome, Outcome::fetched) << allowed.message;
  EXPECT_EQ(allowed.body, "hello");
}

TEST_F(HttpGetTest, Ipv4MappedIpv6LoopbackIsRefusedToo) {
  scope_.allow_private_cidrs.clear();
  scope_.allow_hosts.push_back("mapped.test");
  options_.resolve = {"mapped.test:" + port_ + ":[::ffff:127.0.0.1]"};
  const uint64_t sockets_before = client_.sockets_opened();
  const HttpGetResult result = fetch("http://mapped.test:" + port_ + "/echo/hello");
  EXPECT_EQ(result.outcome, Outcome::refused) << result.message;
  EXPECT_NE(result.message.find("loopback"), std::string::npos) << result.message;
  EXPECT_EQ(client_.sockets_opened(), sockets_before);
}

TEST_F(HttpGetTest, RedirectToAForbiddenHostIsRefusedBeforeItIsRequested) {
  REQUIRE_ISOLATED_NETWORK();
  for (const std::string target :
       {"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]/"}) {
    const uint64_t sockets_before = client_.sockets_opened();
    const HttpGetResult result = fetch(allowed_url("/redirect?to=" + target));
    EXPECT_EQ(result.outcome, Outcome::refused) << target;
    EXPECT_NE(result.message.find("is not in the allowlist"), std::string::npos) << result.message;
    EXPECT_EQ(client_.sockets_opened(), sockets_before + 1) << "only the first hop connected";
  }
}

TEST_F(HttpGetTest, RedirectToAnAllowedNameOnAMetadataAddressIsRefusedAtConnect) {
  REQUIRE_ISOLATED_NETWORK();
  scope_.allow_hosts.push_back("metadata.test");
  options_.resolve.push_back("metadata.test:80:169.254.169.254");
  const uint64_t sockets_before = client_.sockets_opened();
  const HttpGetResult result = fetch(allowed_url("/redirect?to=http://metadata.test/latest/"));
  EXPECT_EQ(result.outcome, Outcome::refused);
  EXPECT_NE(result.message.find(
                "connecting to metadata.test: 169.254.169.254 is a cloud metadata address"),
            std::string::npos)
      << result.message;
  EXPECT_EQ(client_.sockets_opened(), sockets_before + 1) << "only the first hop connected";
}

TEST_F(HttpGetTest, AllowlistedPrivateAddressIsStillRefusedAtConnect) {
  REQUIRE_ISOLATED_NETWORK();
  scope_.allow_hosts = {"10.0.0.1", "[fd00:ec2::254]"};
  const uint64_t sockets_before = client_.sockets_opened();
  const HttpGetResult v4 = fetch("http://10.0.0.1/");
  EXPECT_EQ(v4.outcome, Outcome::refused);
  EXPECT_NE(v4.message.find("10.0.0.1 is a private address"), std::string::npos) << v4.message;
  const HttpGetResult v6 = fetch("http://[fd00:ec2::254]/");
  EXPECT_EQ(v6.outcome, Outcome::refused);
  EXPECT_NE(v6.message.find("cloud metadata"), std::string::npos) << v6.message;
  EXPECT_EQ(client_.sockets_opened(), sockets_before);
}

TEST_F(HttpGetTest, RedirectsWithinTheAllowlistAreFollowed) {
  const HttpGetResult absolute =
      fetch(allowed_url("/redirect?to=" + allowed_url("/echo/landed") + "&status=301"));
  EXPECT_EQ(absolute.outcome, Outcome::fetched) << absolute.message;
  EXPECT_EQ(absolute.body, "landed");
  EXPECT_EQ(absolute.final_url, allowed_url("/echo/landed"));

  const HttpGetResult relative = fetch(allowed_url("/redirect?to=/echo/relative&status=308"));
  EXPECT_EQ(relative.outcome, Outcome::fetched) << relative.message;
  EXPECT_EQ(relative.body, "relative");
}

TEST_F(HttpGetTest, RedirectLoopsEndAfterTheLimit) {
  const uint64_t sockets_before = client_.sockets_opened();
  const HttpGetResult result = fetch(allowed_url("/loop"));
  EXPECT_EQ(result.outcome, Outcome::failed);
  EXPECT_EQ(result.message, "http_get failed: too many redirects (more than 5)");
  EXPECT_EQ(client_.sockets_opened(), sockets_before + 6);
}

TEST_F(HttpGetTest, RedirectToAnotherSchemeIsRefused) {
  const HttpGetResult result = fetch(allowed_url("/redirect?to=file:///etc/passwd"));
  EXPECT_EQ(result.outcome, Outcome::refused);
  EXPECT_NE(result.message.find("only http and https"), std::string::npos) << result.message;
  EXPECT_EQ(fetch("ftp://allowed.test/").outcome, Outcome::refused);
  EXPECT_EQ(fetch("not a url").outcome, Outcome::refused);
}

TEST_F(HttpGetTest, ResponseIsCutAtThePolicysSizeCap) {
  scope_.max_response_bytes = 1000;
  const HttpGetResult result = fetch(allowed_url("/bytes/5000"));
  EXPECT_EQ(result.outcome, Outcome::fetched) << result.message;
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.body, std::string(1000, 'x'));
}

TEST_F(HttpGetTest, HangingServerTimesOutAtThePolicysLimit) {
  scope_.timeout = std::chrono::milliseconds(300);
  const HttpGetResult result = fetch(allowed_url("/hang"));
  EXPECT_EQ(result.outcome, Outcome::failed);
  EXPECT_NE(result.message.find("timed out after 300 ms"), std::string::npos) << result.message;
}

TEST_F(HttpGetTest, CancellationEndsTheFetchAtOnce) {
  asio::cancellation_signal cancel;
  std::optional<HttpGetResult> result;
  asio::co_spawn(
      io_, http_get(client_, scope_, allowed_url("/hang"), "GET", options_),
      asio::bind_cancellation_slot(cancel.slot(), [&](const std::exception_ptr&, HttpGetResult r) {
        result = std::move(r);
      }));
  ASSERT_TRUE(run_until(io_, [&] { return client_.in_flight() == 1 && client_.sockets_opened(); }));
  // co_spawn hands the signal to the coroutine through its executor, so the request goes
  // on the loop's next turn (the Client itself removes it within emit(): curl_multi_test).
  cancel.emit(asio::cancellation_type::terminal);
  ASSERT_TRUE(run_until(io_, [&] { return result.has_value(); }));
  EXPECT_EQ(result->outcome, Outcome::cancelled);
  EXPECT_EQ(result->message, "http_get cancelled: GET " + allowed_url("/hang"));
  EXPECT_EQ(client_.in_flight(), 0u);
}

TEST_F(HttpGetTest, MethodsComeFromThePolicy) {
  const HttpGetResult post = fetch(allowed_url("/method"), "POST");
  EXPECT_EQ(post.outcome, Outcome::refused);
  EXPECT_EQ(post.message, "http_get refused: method POST is not allowed; allowed: [GET]");

  scope_.methods = {"GET", "HEAD"};
  const HttpGetResult head = fetch(allowed_url("/method"), "HEAD");
  EXPECT_EQ(head.outcome, Outcome::fetched) << head.message;
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST_F(HttpGetTest, DisallowedToolAndBadPolicyAreReported) {
  scope_.allow_private_cidrs = {"localhost"};
  const HttpGetResult bad = fetch(allowed_url("/echo/x"));
  EXPECT_EQ(bad.outcome, Outcome::failed);
  EXPECT_NE(bad.message.find("allow_private_cidrs"), std::string::npos) << bad.message;

  scope_.allowed = false;
  const HttpGetResult off = fetch(allowed_url("/echo/x"));
  EXPECT_EQ(off.outcome, Outcome::refused);
  EXPECT_EQ(off.message, "http_get refused: this policy does not allow http_get");
}

}  // namespace
}  // namespace agents::tools
