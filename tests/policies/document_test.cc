#include "policies/document.h"

#include <gtest/gtest.h>

#include <string>

namespace policies {
namespace {

Document parse_ok(const std::string& text) {
  Validated<Document> parsed = parse_document(text, "p.json");
  EXPECT_TRUE(parsed.ok()) << format(parsed.errors);
  return parsed.ok() ? *parsed.value : Document{};
}

Diagnostic only_error(const std::string& text) {
  Validated<Document> parsed = parse_document(text, "p.json");
  EXPECT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.errors.size(), 1u) << format(parsed.errors);
  return parsed.errors.empty() ? Diagnostic{} : parsed.errors.front();
}

TEST(Document, MapsJsonPointersToLinesAndColumnsAroundComments) {
  Document document = parse_ok(
      "// a policy\n"
      "{\n"
      "  /* limits */ \"limits\": {\"memory\": \"1G\"},\n"
      "  \"tools\": {\"http_get\": {\"allow_hosts\": [\"a.org\", // first\n"
      "      \"b.org\",\n"
      "      \"c.org\"]}}\n"
      "}\n");
  EXPECT_EQ(document.value["limits"]["memory"], "1G");
  EXPECT_EQ(document.at("/limits/memory", "m").to_string(), "p.json:3:37: /limits/memory: m");
  EXPECT_EQ(document.at("/limits/memory", "m", true).to_string(), "p.json:3:27: /limits/memory: m");
  EXPECT_EQ(document.at("/tools/http_get/allow_hosts/2", "m").to_string(),
            "p.json:6:7: /tools/http_get/allow_hosts/2: m");
  // A pointer with no position of its own falls back to its nearest ancestor.
  EXPECT_EQ(document.at("/limits/pids", "m").to_string(), "p.json:3:26: /limits/pids: m");
}

TEST(Document, EscapesKeysInPointers) {
  Document document = parse_ok("{\"a/b\": {\"c~d\": 1}}");
  EXPECT_EQ(pointer_token("a/b"), "a~1b");
  EXPECT_EQ(document.positions.count("/a~1b/c~0d"), 1u);
}

TEST(Document, ReportsSyntaxErrorsWithPosition) {
  Diagnostic error = only_error("{\n  \"a\": 1\n  \"b\": 2\n}\n");
  EXPECT_EQ(error.file, "p.json");
  EXPECT_EQ(error.line, 3u);
  EXPECT_EQ(error.column, 5u);  // nlohmann reports the end of the unexpected token
  EXPECT_NE(error.message.find("syntax error"), std::string::npos) << error.message;

  error = only_error("{\"a\": [1, 2,]}");
  EXPECT_EQ(error.line, 1u);
  EXPECT_EQ(error.column, 13u);
}

TEST(Document, RefusesDuplicateKeysNonObjectsDeepNestingAndHugeFiles) {
  Diagnostic error = only_error("{\"a\": 1,\n \"a\": 2}");
  EXPECT_EQ(error.to_string(),
            "p.json:2:2: /a: duplicate key \"a\"; expected each key once (a later one would "
            "silently win)");
  EXPECT_NE(only_error("[1, 2]").message.find("expected a JSON object at the top level"),
            std::string::npos);
  EXPECT_NE(only_error(std::string(100, '[') + std::string(100, ']')).message.find("nested"),
            std::string::npos);
  EXPECT_NE(only_error("{\"a\": \"" + std::string(kMaxDocumentBytes, 'x') + "\"}")
                .message.find("at most"),
            std::string::npos);
  EXPECT_NE(only_error("{\"a\": \"\xff\"}").message.find("UTF-8"), std::string::npos);
  // Found by the fuzzer: nlohmann throws out_of_range, not parse_error, for this.
  EXPECT_EQ(only_error("{\"a\": 777.77e77777}").message, "number overflow parsing '777.77e77777'");
}

TEST(Document, AcceptsAByteOrderMarkAndBlockComments) {
  Document document = parse_ok("\xEF\xBB\xBF/* x */ {\"a\": /* y */ 1 /* z */}");
  EXPECT_EQ(document.value["a"], 1);
  EXPECT_EQ(document.at("/a", "m").column, 26u);
}

}  // namespace
}  // namespace policies
