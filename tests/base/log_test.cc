#include "base/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace base::log {
namespace {

// What the code in `body` wrote to stderr.
template <class Body>
std::string stderr_of(Body body) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe(pipe_fds), 0);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(pipe_fds[1], STDERR_FILENO);
  body();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(pipe_fds[1]);
  std::string text;
  char buffer[512];
  for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    text.append(buffer, got);
  ::close(pipe_fds[0]);
  return text;
}

TEST(Log, OneLinePerMessageNamedByTheProgramAndFilteredByLevel) {
  set_program("agentd-test");
  set_threshold(Level::warning);
  const std::string text = stderr_of([] {
    info() << "not shown " << 1;
    warning() << "journal: " << 42 << " rows";
    error() << "ends with its own newline\n";
  });
  const std::string prefix = ::getenv("JOURNAL_STREAM") ? "<4>" : "";
  const std::string error_prefix = ::getenv("JOURNAL_STREAM") ? "<3>" : "";
  EXPECT_EQ(text, prefix + "agentd-test: journal: 42 rows\n" + error_prefix +
                      "agentd-test: ends with its own newline\n");
  EXPECT_FALSE(enabled(Level::info));
  set_threshold(Level::debug);
  EXPECT_TRUE(enabled(Level::debug));
  set_threshold(Level::info);
  set_program("agentd");
}

}  // namespace
}  // namespace base::log
