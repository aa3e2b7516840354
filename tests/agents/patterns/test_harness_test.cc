// What the daemon reads from the harness's stdout: only lines bound to the run's secret, each
// read as data that may be malformed (the test script shares the harness's process).
#include "agents/patterns/test_harness.h"

#include <gtest/gtest.h>

namespace agents::patterns {
namespace {

TEST(HarnessReport, OnlyLinesBoundToTheSecretCount) {
  const std::string out =
      "s3cret {\"event\":\"script\",\"script\":0,\"cases\":[\"test_a\",\"test_b\"]}\n"
      "s3cret {\"event\":\"case\",\"script\":0,\"name\":\"test_a\",\"passed\":true}\n"
      "guess {\"event\":\"case\",\"script\":0,\"name\":\"test_b\",\"passed\":true}\n"
      " s3cret {\"event\":\"done\"}\n"
      "s3cretx {\"event\":\"done\"}\n";
  HarnessReport report = parse_harness_report(out, "s3cret", 1);
  ASSERT_EQ(report.expected[0].size(), 2u);
  ASSERT_EQ(report.cases.size(), 1u);
  EXPECT_EQ(report.cases[0].name, "test_a");
  EXPECT_TRUE(report.cases[0].passed);
  EXPECT_FALSE(report.complete) << "a done line without the secret";
}

TEST(HarnessReport, MalformedLinesAreIgnoredNotThrown) {
  const std::string out =
      "s3cret {\"event\":\"case\",\"script\":\"0\",\"name\":\"a\",\"passed\":true}\n"
      "s3cret {\"event\":\"case\",\"script\":0,\"name\":7,\"passed\":\"yes\"}\n"
      "s3cret {\"event\":\"case\",\"script\":5,\"name\":\"b\",\"passed\":true}\n"
      "s3cret {\"event\":\"calls\",\"script\":0,\"calls\":\"everything\"}\n"
      "s3cret {\"event\":\"probe\",\"result\":[1]}\n"
      "s3cret {\"event\":[],\"script\":-1}\n"
      "s3cret [1, 2\n"
      "s3cret {\"event\":\"done\"}\n";
  HarnessReport report;
  ASSERT_NO_THROW(report = parse_harness_report(out, "s3cret", 1));
  ASSERT_EQ(report.cases.size(), 1u);  // the one with a script index in range
  EXPECT_EQ(report.cases[0].name, "");
  EXPECT_FALSE(report.cases[0].passed) << "\"yes\" is not true";
  EXPECT_EQ(report.calls[0], nlohmann::json::array());
  ASSERT_EQ(report.probes.size(), 1u);
  EXPECT_EQ(report.probes[0], "");
  EXPECT_TRUE(report.complete);
}

}  // namespace
}  // namespace agents::patterns
