// A JUnit XML report (pytest's --junitxml, and most other runners'), read as hostile input: it
// is written inside a sandbox, by a process that runs the candidate's code. So no DOCTYPE is
// accepted at all (no entity declarations: no billion laughs, no external entities), and the
// size, the number of cases and the length of an id are capped.
//
//   <testsuites>                                  (or a bare <testsuite> root)
//     <testsuite name="pytest" tests="2">
//       <testcase classname="tests.test_add" name="test_ok" time="0.01"/>
//       <testcase classname="tests.test_add" name="test_bad"><failure message="..."/></testcase>
//       <testcase ...><error .../></testcase>  <testcase ...><skipped .../></testcase>
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace repo {

inline constexpr size_t kMaxJunitBytes = 16 << 20;
inline constexpr size_t kMaxJunitCases = 100'000;
inline constexpr size_t kMaxJunitIdBytes = 4096;
inline constexpr size_t kMaxJunitMessageBytes = 1024;  // longer messages are cut

struct JunitCase {
  enum class Outcome { passed, failed, error, skipped };
  std::string id;  // classname + "::" + name, or name alone when there is no classname
  Outcome outcome = Outcome::passed;
  std::string message;  // the failure's, error's or skip's message attribute, else its text
};

std::string_view to_string(JunitCase::Outcome outcome);

// Every case of the report, in the order of first appearance. A case reported more than once
// (pytest reports a teardown error as a second case of the same name) is one case: failed if
// any report of it failed or errored, skipped if all were skipped, else passed. The error names
// the line and what was wrong: "JUnit report, line 3: mismatched tag", "JUnit report, line 1:
// a DOCTYPE declaration (refused: entities could expand without bound or read files)".
base::Expected<std::vector<JunitCase>> parse_junit(std::string_view xml);

}  // namespace repo
