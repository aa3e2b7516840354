// The JSON-RPC decoder: every class of bad input gets its error, good input decodes exactly.
#include "daemon/rpc.h"

#include <gtest/gtest.h>

#include "daemon/params.h"

namespace agentd::rpc {
namespace {

using nlohmann::json;

Entry single(const std::string& text) {
  Decoded decoded = decode(text);
  EXPECT_FALSE(decoded.whole.has_value()) << decoded.whole->message;
  EXPECT_FALSE(decoded.batch);
  EXPECT_EQ(decoded.entries.size(), 1u);
  return decoded.entries.at(0);
}

TEST(RpcDecode, ReadsARequest) {
  Entry entry = single(R"({"jsonrpc":"2.0","id":7,"method":"task.get","params":{"task_id":"t"}})");
  ASSERT_TRUE(entry.request);
  EXPECT_EQ(entry.request->id, 7);
  EXPECT_EQ(entry.request->method, "task.get");
  EXPECT_EQ(entry.request->params, (json{{"task_id", "t"}}));
  EXPECT_FALSE(entry.request->notification);
}

TEST(RpcDecode, ReadsStringAndNullIdsAndNotifications) {
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","id":"a","method":"m"})").request->id, "a");
  Entry null_id = single(R"({"jsonrpc":"2.0","id":null,"method":"m"})");
  EXPECT_TRUE(null_id.request->id.is_null());
  EXPECT_FALSE(null_id.request->notification);
  Entry notification = single(R"({"jsonrpc":"2.0","method":"m"})");
  EXPECT_TRUE(notification.request->notification);
  EXPECT_EQ(notification.request->params, json::object());
}

TEST(RpcDecode, ParseErrors) {
  for (const std::string text : {"", "{", "not json", R"({"jsonrpc":"2.0",})", "\xff\xfe",
                                 "{\"jsonrpc\":\"2.0\",\"method\":\"\xc3\x28\"}"}) {
    Decoded decoded = decode(text);
    ASSERT_TRUE(decoded.whole) << text;
    EXPECT_EQ(decoded.whole->code, parse_error) << text;
  }
}

TEST(RpcDecode, DeepNestingIsAParseErrorNotAStackOverflow) {
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  Decoded decoded = decode(deep);
  ASSERT_TRUE(decoded.whole);
  EXPECT_EQ(decoded.whole->code, parse_error);
  EXPECT_NE(decoded.whole->message.find("nested deeper than 64 levels"), std::string::npos)
      << decoded.whole->message;
  // Brackets inside strings do not count.
  Entry entry = single(R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"s":")" +
                       std::string(500, '[') + R"("}})");
  EXPECT_TRUE(entry.request);
}

// Two equal keys read differently by different readers (nlohmann keeps the last): refused.
TEST(RpcDecode, DuplicateKeysAreAParseError) {
  Decoded decoded = decode(
      R"({"jsonrpc":"2.0","id":1,"method":"server.info","method":"task.cancel","params":{}})");
  ASSERT_TRUE(decoded.whole);
  EXPECT_EQ(decoded.whole->code, parse_error);
  EXPECT_EQ(decoded.whole->message, "parse error: /: duplicate key \"method\"");
  decoded = decode(R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"a":1,"a":2}})");
  ASSERT_TRUE(decoded.whole);
  EXPECT_EQ(decoded.whole->message, "parse error: /params: duplicate key \"a\"");
}

TEST(RpcDecode, InvalidRequests) {
  const std::pair<std::string, std::string> cases[] = {
      {"5", "request object"},
      {R"("text")", "request object"},
      {R"({"id":1,"method":"m"})", "jsonrpc"},
      {R"({"jsonrpc":"1.0","id":1,"method":"m"})", "jsonrpc"},
      {R"({"jsonrpc":2.0,"id":1,"method":"m"})", "jsonrpc"},
      {R"({"jsonrpc":"2.0","id":1})", "method"},
      {R"({"jsonrpc":"2.0","id":1,"method":5})", "method"},
      {R"({"jsonrpc":"2.0","id":1,"method":""})", "method"},
      {R"({"jsonrpc":"2.0","id":{"a":1},"method":"m"})", "id"},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"m"})", "id"},
      {R"({"jsonrpc":"2.0","id":1,"method":"m","params":"x"})", "params"},
      {R"({"jsonrpc":"2.0","id":1,"method":"m","params":7})", "params"},
  };
  for (const auto& [text, mentions] : cases) {
    Entry entry = single(text);
    ASSERT_TRUE(entry.failure) << text;
    EXPECT_FALSE(entry.request) << text;
    EXPECT_EQ(entry.failure->code, invalid_request) << text;
    EXPECT_NE(entry.failure->message.find(mentions), std::string::npos) << entry.failure->message;
  }
}

TEST(RpcDecode, AnInvalidRequestKeepsAReadableId) {
  Entry entry = single(R"({"jsonrpc":"2.0","id":"abc","method":5})");
  ASSERT_TRUE(entry.failure);
  EXPECT_EQ(entry.id, "abc");
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","id":[1],"method":"m"})").id, nullptr);
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","id":")" + std::string(300, 'x') + R"(","method":"m"})")
                .failure->code,
            invalid_request);
}

TEST(RpcDecode, Batches) {
  Decoded decoded = decode(R"([{"jsonrpc":"2.0","id":1,"method":"a"}, 5,
                               {"jsonrpc":"2.0","method":"b"}])");
  ASSERT_FALSE(decoded.whole);
  EXPECT_TRUE(decoded.batch);
  ASSERT_EQ(decoded.entries.size(), 3u);
  EXPECT_EQ(decoded.entries[0].request->method, "a");
  EXPECT_EQ(decoded.entries[1].failure->code, invalid_request);
  EXPECT_TRUE(decoded.entries[2].request->notification);
}

TEST(RpcDecode, EmptyAndOversizedBatchesAreRefusedWhole) {
  Decoded empty = decode("[]");
  ASSERT_TRUE(empty.whole);
  EXPECT_EQ(empty.whole->code, invalid_request);
  json batch = json::array();
  for (int i = 0; i < 17; ++i) batch.push_back({{"jsonrpc", "2.0"}, {"id", i}, {"method", "m"}});
  Decoded big = decode(batch.dump());
  ASSERT_TRUE(big.whole);
  EXPECT_EQ(big.whole->code, invalid_request);
  EXPECT_EQ(big.whole->data["limit"], 16);
  batch.erase(batch.begin());
  EXPECT_FALSE(decode(batch.dump()).whole);
  EXPECT_TRUE(decode(batch.dump(), DecodeLimits{4, 64}).whole);
}

TEST(RpcEncode, ResponsesAndErrors) {
  EXPECT_EQ(json::parse(response(3, json{{"x", 1}})),
            (json{{"jsonrpc", "2.0"}, {"id", 3}, {"result", {{"x", 1}}}}));
  json error =
      json::parse(error_response("a", Failure{task_not_found, "task not found: t", nullptr}));
  EXPECT_EQ(error, (json{{"jsonrpc", "2.0"},
                         {"id", "a"},
                         {"error", {{"code", -32004}, {"message", "task not found: t"}}}}));
  json with_data =
      json::parse(error_response(nullptr, invalid_params_at("/spec/prompt", "a string")));
  EXPECT_EQ(with_data["error"]["code"], -32602);
  EXPECT_EQ(with_data["error"]["data"], (json{{"path", "/spec/prompt"}, {"expected", "a string"}}));
  EXPECT_TRUE(with_data["id"].is_null());
}

TEST(RpcEncode, InvalidUtf8IsReplacedNotThrown) {
  json value = std::string("bad \xff byte");
  EXPECT_NO_THROW(dump(value));
  EXPECT_TRUE(json::accept(dump(value)));
}

TEST(Params, NamesThePathAndWhatWasExpected) {
  json params{{"task_id", 5}};
  Params p(params, {"task_id"});
  (void)p.string("task_id", 128);
  ASSERT_TRUE(p.failure());
  EXPECT_EQ(p.failure()->code, invalid_params);
  EXPECT_EQ(p.failure()->data["path"], "/task_id");

  json unknown{{"task_id", "t"}, {"extra", 1}};
  Params q(unknown, {"task_id"});
  ASSERT_TRUE(q.failure());
  EXPECT_EQ(q.failure()->message,
            "invalid params: /extra: unknown parameter; expected one of: task_id");
  EXPECT_EQ(q.failure()->data, (json{{"path", "/extra"}, {"expected", "one of: task_id"}}));

  // The key is one RFC 6901 token ("~" → "~0", "/" → "~1"), not quoted, so it resolves.
  json odd{{"a/b~c", 1}};
  Params escaped(odd, {});
  ASSERT_TRUE(escaped.failure());
  EXPECT_EQ(escaped.failure()->data, (json{{"path", "/a~1b~0c"}, {"expected", "no parameters"}}));
  EXPECT_TRUE(odd.contains(json::json_pointer(escaped.failure()->data["path"].get<std::string>())));

  Params array(json::array({1}), {"task_id"});
  EXPECT_TRUE(array.failure());

  json limits{{"limit", 501}, {"timeout", -1}};
  Params r(limits, {"limit", "timeout"});
  EXPECT_EQ(r.count("limit", 50, 1, 500), 50u);
  EXPECT_EQ(r.failure()->data["path"], "/limit");
}

}  // namespace
}  // namespace agentd::rpc
