// agents::http::Client against the local test server: results, caps, timeouts, cancellation,
// streaming and many requests on one thread.
#include "agents/http/curl_multi.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/agents/local_server.h"
#include "tests/agents/run_until.h"

namespace agents::http {
namespace {

namespace asio = boost::asio;
using agents::testing::LocalServer;
using agents::testing::run_until;
using boost::system::error_code;

struct Outcome {
  error_code ec;
  Response response;
};

int thread_count() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
  }
  return -1;
}

class ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = LocalServer::start();
    if (started)
      server_ = std::make_unique<LocalServer>(std::move(*started));
    else
      start_error_ = started.error().message;
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    if (!server_) GTEST_SKIP() << "no local HTTP server: " << start_error_;
  }

  Request get(const std::string& path) {
    Request request;
    request.url = server_->url(path);
    request.timeout = std::chrono::seconds(20);
    return request;
  }

  // Sends one request and runs the loop until it completes.
  Outcome fetch(Request request) {
    std::optional<Outcome> outcome;
    client_.async_request(std::move(request), [&](error_code ec, Response response) {
      outcome = Outcome{ec, std::move(response)};
    });
    EXPECT_TRUE(run_until(io_, [&] { return outcome.has_value(); })) << "request never completed";
    return outcome ? std::move(*outcome) : Outcome{};
  }

  // How many /hang and /partial connections the server has seen closed.
  int server_closed_count() {
    const Outcome outcome = fetch(get("/closed"));
    return outcome.response.ok() ? std::stoi(outcome.response.body) : -1;
  }

  static inline std::unique_ptr<LocalServer> server_;
  static inline std::string start_error_;
  asio::io_context io_;
  Client client_{io_.get_executor()};
};

TEST_F(ClientTest, GetReportsStatusHeadersBodyAndPeer) {
  const Outcome outcome = fetch(get("/echo/hello"));
  EXPECT_FALSE(outcome.ec);
  const Response& r = outcome.response;
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("content-length"), std::optional<std::string_view>("5"));
  EXPECT_EQ(r.primary_ip, "127.0.0.1");
  EXPECT_EQ(r.effective_url, server_->url("/echo/hello"));
  EXPECT_TRUE(r.error.empty());
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(client_.in_flight(), 0u);
}

TEST_F(ClientTest, PostSendsTheBodyAndOtherMethodsAreSentAsGiven) {
  Request post = get("/echo");
  post.method = "POST";
  post.body = "payload with\nnewline";
  post.headers = {"Content-Type: text/plain"};
  EXPECT_EQ(fetch(std::move(post)).response.body, "payload with\nnewline");

  Request put = get("/method");
  put.method = "PUT";
  EXPECT_EQ(fetch(std::move(put)).response.body, "PUT");

  Request head = get("/method");
  head.method = "HEAD";
  const Outcome outcome = fetch(std::move(head));
  EXPECT_EQ(outcome.response.status, 200);
  EXPECT_TRUE(outcome.response.body.empty());
}

TEST_F(ClientTest, BodyPastTheCapIsCutThereAndTheTransferAborted) {
  Request request = get("/bytes/100000");
  request.max_response_bytes = 1000;
  const Outcome outcome = fetch(std::move(request));
  EXPECT_FALSE(outcome.ec);
  EXPECT_TRUE(outcome.response.truncated);
  EXPECT_EQ(outcome.response.body, std::string(1000, 'x'));
  EXPECT_EQ(outcome.response.status, 200);
  EXPECT_NE(outcome.response.curl_code, CURLE_OK);
  EXPECT_NE(outcome.response.error.find("cap of 1000 bytes"), std::string::npos)
      << outcome.response.error;
}

TEST_F(ClientTest, BodyExactlyAtTheCapIsComplete) {
  Request request = get("/bytes/1000");
  request.max_response_bytes = 1000;
  const Outcome outcome = fetch(std::move(request));
  EXPECT_TRUE(outcome.response.ok()) << outcome.response.error;
  EXPECT_FALSE(outcome.response.truncated);
  EXPECT_EQ(outcome.response.body.size(), 1000u);
}

TEST_F(ClientTest, HangingServerTimesOut) {
  Request request = get("/hang");
  request.timeout = std::chrono::milliseconds(300);
  const Outcome outcome = fetch(std::move(request));
  EXPECT_FALSE(outcome.ec);
  EXPECT_EQ(outcome.response.curl_code, CURLE_OPERATION_TIMEDOUT) << outcome.response.error;
  EXPECT_FALSE(outcome.response.ok());
  EXPECT_EQ(client_.in_flight(), 0u);
}

TEST_F(ClientTest, CancellationRemovesTheRequestAtOnceAndClosesItsConnection) {
  const int closed_before = server_closed_count();
  asio::cancellation_signal cancel;
  bool body_started = false;
  Request request = get("/partial");  // a first chunk, then nothing
  request.on_body_chunk = [&](std::string_view) { return body_started = true; };
  std::optional<Outcome> outcome;
  client_.async_request(std::move(request),
                        asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec, Response r) {
                          outcome = Outcome{ec, std::move(r)};
                        }));
  ASSERT_TRUE(run_until(io_, [&] { return body_started; }));
  ASSERT_EQ(client_.in_flight(), 1u);
  cancel.emit(asio::cancellation_type::terminal);
  EXPECT_EQ(client_.in_flight(), 0u) << "cancel must remove the request from libcurl at once";
  EXPECT_FALSE(outcome.has_value()) << "the handler must not run inside emit()";

  ASSERT_TRUE(run_until(io_, [&] { return outcome.has_value(); }));
  EXPECT_EQ(outcome->ec, asio::error::operation_aborted);
  EXPECT_EQ(outcome->response.error, "request cancelled");
  // The server sees its client leave: the transfer was aborted, not merely forgotten.
  EXPECT_TRUE(run_until(io_, [&] { return server_closed_count() > closed_before; }));
}

TEST_F(ClientTest, CancellationFromInsideTheBodyCallbackIsDeferredSafely) {
  asio::cancellation_signal cancel;
  std::string seen;
  Request request = get("/partial");
  request.on_body_chunk = [&](std::string_view chunk) {
    seen += chunk;
    cancel.emit(asio::cancellation_type::terminal);  // re-enters the Client from libcurl
    return true;
  };
  std::optional<Outcome> outcome;
  client_.async_request(std::move(request),
                        asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec, Response r) {
                          outcome = Outcome{ec, std::move(r)};
                        }));
  ASSERT_TRUE(run_until(io_, [&] { return outcome.has_value(); }));
  EXPECT_EQ(outcome->ec, asio::error::operation_aborted);
  EXPECT_EQ(seen, "first chunk");
  EXPECT_EQ(client_.in_flight(), 0u);
}

TEST_F(ClientTest, StreamingCallbackReceivesTheBodyInsteadOfTheResponse) {
  std::string streamed;
  Request request = get("/chunks/5");
  request.on_body_chunk = [&](std::string_view chunk) {
    streamed += chunk;
    return true;
  };
  const Outcome outcome = fetch(std::move(request));
  EXPECT_TRUE(outcome.response.ok()) << outcome.response.error;
  EXPECT_EQ(streamed, "chunk-0;chunk-1;chunk-2;chunk-3;chunk-4;");
  EXPECT_TRUE(outcome.response.body.empty());
}

TEST_F(ClientTest, StreamingCallbackCanStopTheTransfer) {
  Request request = get("/chunks/50");
  request.on_body_chunk = [](std::string_view) { return false; };
  const Outcome outcome = fetch(std::move(request));
  EXPECT_FALSE(outcome.ec);
  EXPECT_FALSE(outcome.response.ok());
  EXPECT_EQ(outcome.response.error, "stopped by the body reader");
}

TEST_F(ClientTest, TwoHundredConcurrentRequestsCompleteOnOneThread) {
  constexpr int kRequests = 200;
  const int threads_before = thread_count();
  std::vector<std::optional<Outcome>> outcomes(kRequests);
  int completed = 0;
  int most_threads = threads_before;
  for (int i = 0; i < kRequests; ++i) {
    client_.async_request(get("/echo/request-" + std::to_string(i)),
                          [&, i](error_code ec, Response r) {
                            outcomes[i] = Outcome{ec, std::move(r)};
                            ++completed;
                            most_threads = std::max(most_threads, thread_count());
                          });
  }
  EXPECT_EQ(client_.in_flight(), static_cast<size_t>(kRequests));
  ASSERT_TRUE(run_until(io_, [&] { return completed == kRequests; }));
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(outcomes[i].has_value());
    EXPECT_TRUE(outcomes[i]->response.ok()) << i << ": " << outcomes[i]->response.error;
    EXPECT_EQ(outcomes[i]->response.body, "request-" + std::to_string(i));
  }
  EXPECT_EQ(most_threads, threads_before) << "the Client must not start threads";
}

TEST_F(ClientTest, DestroyingTheClientAbortsRequestsInFlight) {
  auto client = std::make_unique<Client>(io_.get_executor());
  std::optional<Outcome> outcome;
  client->async_request(get("/hang"), [&](error_code ec, Response r) {
    outcome = Outcome{ec, std::move(r)};
  });
  ASSERT_TRUE(run_until(io_, [&] { return client->sockets_opened() > 0; }));
  client.reset();
  ASSERT_TRUE(run_until(io_, [&] { return outcome.has_value(); }));
  EXPECT_EQ(outcome->ec, asio::error::operation_aborted);
}

TEST_F(ClientTest, ConnectFilterRefusalMeansNoSocketIsEverCreated) {
  Request request = get("/echo/never");
  request.connect_filter = [](const sockaddr*, socklen_t) {
    return std::optional<std::string>("refused by the test filter");
  };
  const uint64_t sockets_before = client_.sockets_opened();
  const Outcome outcome = fetch(std::move(request));
  EXPECT_FALSE(outcome.response.ok());
  EXPECT_EQ(outcome.response.error, "refused by the test filter");
  EXPECT_EQ(outcome.response.status, 0);
  EXPECT_EQ(client_.sockets_opened(), sockets_before);
}

TEST_F(ClientTest, HostileRequestPartsAreRejectedBeforeAnyConnection) {
  const uint64_t sockets_before = client_.sockets_opened();
  Request injected = get("/echo/x");
  injected.headers = {"X-Test: a\r\nX-Injected: b"};
  EXPECT_NE(fetch(std::move(injected)).response.error.find("CR or LF"), std::string::npos);

  Request bad_method = get("/echo/x");
  bad_method.method = "GET /other HTTP/1.1\r\n";
  EXPECT_NE(fetch(std::move(bad_method)).response.error.find("invalid HTTP method"),
            std::string::npos);

  Request file = get("");
  file.url = "file:///etc/passwd";
  const Outcome outcome = fetch(std::move(file));
  EXPECT_EQ(outcome.response.curl_code, CURLE_UNSUPPORTED_PROTOCOL);
  EXPECT_TRUE(outcome.response.body.empty());
  EXPECT_EQ(client_.sockets_opened(), sockets_before);
}

}  // namespace
}  // namespace agents::http
