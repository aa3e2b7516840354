// repo::parse_junit on what pytest writes (a real run where pytest is installed) and on hostile
// reports: entity expansion, external entities, truncation, caps, duplicated ids.
#include "repo/junit.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace repo {
namespace {

namespace fs = std::filesystem;
using Outcome = JunitCase::Outcome;

std::map<std::string, Outcome> outcomes_of(const std::vector<JunitCase>& cases) {
  std::map<std::string, Outcome> by_id;
  for (const JunitCase& c : cases) by_id[c.id] = c.outcome;
  return by_id;
}

// pytest 7's --junitxml output for a file with one test of each kind.
const char* const kPytestReport = R"(<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="2" tests="5" time="0.05">
<testcase classname="tests.test_kinds" name="test_pass" time="0.001" />
<testcase classname="tests.test_kinds" name="test_fail" time="0.001"><failure message="assert 1 == 2">def test_fail():
&gt;       assert 1 == 2
E       assert 1 == 2</failure></testcase>
<testcase classname="tests.test_kinds" name="test_skip" time="0.000"><skipped type="pytest.skip" message="not today">/t/test_kinds.py:9: not today</skipped></testcase>
<testcase classname="tests.test_kinds" name="test_xfail" time="0.001"><skipped type="pytest.xfail" message="known" /></testcase>
<testcase classname="tests.test_kinds" name="test_param[a-1]" time="0.001" />
<testcase classname="tests.test_kinds" name="test_broken_fixture" time="0.001"><error message="failed on setup with &quot;RuntimeError: no&quot;">@pytest.fixture</error></testcase>
</testsuite></testsuites>
)";

TEST(Junit, PytestsReportGivesEveryCaseItsOutcome) {
  auto cases = parse_junit(kPytestReport);
  ASSERT_TRUE(cases.ok()) << cases.error().message;
  ASSERT_EQ(cases->size(), 6u);
  EXPECT_EQ((*cases)[0].id, "tests.test_kinds::test_pass");
  EXPECT_EQ(outcomes_of(*cases), (std::map<std::string, Outcome>{
                                     {"tests.test_kinds::test_pass", Outcome::passed},
                                     {"tests.test_kinds::test_fail", Outcome::failed},
                                     {"tests.test_kinds::test_skip", Outcome::skipped},
                                     {"tests.test_kinds::test_xfail", Outcome::skipped},
                                     {"tests.test_kinds::test_param[a-1]", Outcome::passed},
                                     {"tests.test_kinds::test_broken_fixture", Outcome::error},
                                 }));
  EXPECT_EQ((*cases)[1].message, "assert 1 == 2");
  EXPECT_EQ((*cases)[5].message, "failed on setup with \"RuntimeError: no\"");
}

TEST(Junit, ARealPytestRunIsRead) {
  if (std::system("/usr/bin/python3 -m pytest --version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "pytest is not installed for /usr/bin/python3 (Debian python3-pytest)";
  char templ[] = "/tmp/agentd-junit-test-XXXXXX";
  ASSERT_NE(::mkdtemp(templ), nullptr);
  const fs::path dir = templ;
  std::ofstream(dir / "test_kinds.py") << "import pytest\n"
                                          "def test_pass():\n    assert True\n"
                                          "def test_fail():\n    assert 1 == 2\n"
                                          "@pytest.mark.skip(reason='not today')\n"
                                          "def test_skip():\n    pass\n"
                                          "@pytest.fixture\n"
                                          "def broken():\n    raise RuntimeError('no')\n"
                                          "def test_broken(broken):\n    pass\n"
                                          "@pytest.mark.parametrize('n', [1, 2])\n"
                                          "def test_param(n):\n    assert n == 1\n";
  const std::string command = "cd " + dir.string() +
                              " && /usr/bin/python3 -m pytest -q -p no:cacheprovider "
                              "--junitxml=report.xml >/dev/null 2>&1";
  EXPECT_NE(std::system(command.c_str()), 0) << "some of these tests fail";
  std::ifstream in(dir / "report.xml");
  std::stringstream xml;
  xml << in.rdbuf();
  fs::remove_all(dir);
  auto cases = parse_junit(xml.str());
  ASSERT_TRUE(cases.ok()) << cases.error().message << "\n" << xml.str();
  EXPECT_EQ(outcomes_of(*cases), (std::map<std::string, Outcome>{
                                     {"test_kinds::test_pass", Outcome::passed},
                                     {"test_kinds::test_fail", Outcome::failed},
                                     {"test_kinds::test_skip", Outcome::skipped},
                                     {"test_kinds::test_broken", Outcome::error},
                                     {"test_kinds::test_param[1]", Outcome::passed},
                                     {"test_kinds::test_param[2]", Outcome::failed},
                                 }))
      << xml.str();
}

TEST(Junit, ABareTestsuiteRootAndCasesWithoutAClassname) {
  auto cases = parse_junit(
      "<testsuite><testcase name=\"a\"/><testcase classname=\"\" name=\"b\">"
      "<failure>text only</failure></testcase></testsuite>");
  ASSERT_TRUE(cases.ok()) << cases.error().message;
  ASSERT_EQ(cases->size(), 2u);
  EXPECT_EQ((*cases)[0].id, "a");
  EXPECT_EQ((*cases)[1].id, "b");
  EXPECT_EQ((*cases)[1].outcome, Outcome::failed);
  EXPECT_EQ((*cases)[1].message, "text only");

  auto empty = parse_junit("<testsuites/>");
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->empty());
}

TEST(Junit, EntityDeclarationsAreRefused) {
  const std::string billion_laughs =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
      " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
      " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
      " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
      "]>\n<testsuite><testcase name=\"&lol3;\"/></testsuite>\n";
  auto laughs = parse_junit(billion_laughs);
  ASSERT_FALSE(laughs.ok());
  EXPECT_NE(laughs.error().message.find("DOCTYPE"), std::string::npos) << laughs.error().message;
  EXPECT_NE(laughs.error().message.find("line 2"), std::string::npos) << laughs.error().message;

  const std::string external =
      "<?xml version=\"1.0\"?><!DOCTYPE t [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<testsuite><testcase name=\"&x;\"/></testsuite>";
  auto leaked = parse_junit(external);
  ASSERT_FALSE(leaked.ok());
  EXPECT_NE(leaked.error().message.find("DOCTYPE"), std::string::npos) << leaked.error().message;
  EXPECT_EQ(leaked.error().message.find("root:"), std::string::npos) << leaked.error().message;

  // An entity never declared is an error of its own, not an expansion.
  auto undeclared = parse_junit("<testsuite><testcase name=\"&x;\"/></testsuite>");
  EXPECT_FALSE(undeclared.ok());
}

TEST(Junit, MalformedReportsNameTheLine) {
  auto truncated =
      parse_junit("<testsuites>\n<testsuite>\n<testcase name=\"a\"/>\n<testcase name=\"b\"");
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("JUnit report, line 4"), std::string::npos)
      << truncated.error().message;

  auto mismatched = parse_junit("<testsuite>\n<testcase name=\"a\"></testsuite>");
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("line 2: mismatched tag"), std::string::npos)
      << mismatched.error().message;

  auto not_junit = parse_junit("<html><testcase name=\"a\"/></html>");
  ASSERT_FALSE(not_junit.ok());
  EXPECT_NE(not_junit.error().message.find("expected a <testsuites> or <testsuite> root"),
            std::string::npos)
      << not_junit.error().message;

  auto nameless = parse_junit("<testsuite><testcase classname=\"x\"/></testsuite>");
  ASSERT_FALSE(nameless.ok());
  EXPECT_NE(nameless.error().message.find("without a name"), std::string::npos);

  EXPECT_FALSE(parse_junit("").ok());
}

TEST(Junit, ADuplicatedIdFailsIfAnyReportOfItFailed) {
  auto cases = parse_junit(
      "<testsuite>"
      "<testcase classname=\"t\" name=\"a\"/>"
      "<testcase classname=\"t\" name=\"b\"/>"
      "<testcase classname=\"t\" name=\"a\"><error message=\"teardown\"/></testcase>"
      "<testcase classname=\"t\" name=\"a\"/>"
      "<testcase classname=\"t\" name=\"s\"><skipped/></testcase>"
      "<testcase classname=\"t\" name=\"s\"/>"
      "<testcase classname=\"t\" name=\"k\"><skipped/></testcase>"
      "<testcase classname=\"t\" name=\"k\"><skipped/></testcase>"
      "</testsuite>");
  ASSERT_TRUE(cases.ok()) << cases.error().message;
  ASSERT_EQ(cases->size(), 4u);
  EXPECT_EQ((*cases)[0].id, "t::a");
  EXPECT_EQ((*cases)[0].outcome, Outcome::error);
  EXPECT_EQ((*cases)[0].message, "teardown");
  EXPECT_EQ((*cases)[1].outcome, Outcome::passed);
  EXPECT_EQ((*cases)[2].outcome, Outcome::passed) << "skipped once, passed once";
  EXPECT_EQ((*cases)[3].outcome, Outcome::skipped);
}

TEST(Junit, CapsOnSizeCasesAndIds) {
  std::string huge = "<testsuite>";
  huge.append(kMaxJunitBytes, ' ');
  huge += "</testsuite>";
  auto too_big = parse_junit(huge);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().message.find("at most"), std::string::npos);

  std::string many = "<testsuite>";
  for (size_t i = 0; i <= kMaxJunitCases; ++i)
    many += "<testcase name=\"" + std::to_string(i) + "\"/>";
  many += "</testsuite>";
  auto too_many = parse_junit(many);
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.error().message.find("more than 100000 test cases"), std::string::npos)
      << too_many.error().message;

  auto long_id = parse_junit("<testsuite><testcase name=\"" +
                             std::string(kMaxJunitIdBytes + 1, 'x') + "\"/></testsuite>");
  ASSERT_FALSE(long_id.ok());
  EXPECT_NE(long_id.error().message.find("test id of"), std::string::npos);

  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<testsuite>";
  for (int i = 0; i < 100; ++i) deep += "</testsuite>";
  EXPECT_FALSE(parse_junit(deep).ok());

  auto long_message = parse_junit("<testsuite><testcase name=\"a\"><failure>" +
                                  std::string(10 * kMaxJunitMessageBytes, 'm') +
                                  "</failure></testcase></testsuite>");
  ASSERT_TRUE(long_message.ok()) << long_message.error().message;
  EXPECT_EQ((*long_message)[0].message.size(), kMaxJunitMessageBytes);
}

}  // namespace
}  // namespace repo
