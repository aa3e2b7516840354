// search: matching lines of the files of a Workspace, for coding agents. The pattern comes
// from a model, so it is a POSIX extended regular expression (regcomp/regexec, line by line)
// rather than std::regex (whose recursion a hostile pattern turns into a stack overflow), and
// everything is bounded: the pattern's size and repetition counts (regcomp's memory grows
// with their product), the bytes of a line a regular expression sees (glibc's matcher can be
// quadratic in the line), matches, output, bytes scanned and time. The walk is the
// Workspace's listing, which never follows a symlink; .git is not searched; binary files (a NUL in
// the first 8 KiB) and files over 1 MiB are skipped and counted.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agents/tools/workspace.h"
#include "base/expected.h"

namespace agents::tools {

inline constexpr size_t kDefaultSearchMatches = 100;
inline constexpr size_t kMaxSearchMatches = 1000;
inline constexpr size_t kMaxSearchPatternBytes = 1000;
inline constexpr uint64_t kMaxSearchFileBytes = uint64_t{1} << 20;
inline constexpr size_t kSearchBinaryProbeBytes = 8192;
inline constexpr size_t kSearchLineChars = 300;          // a matching line is cut to this
inline constexpr size_t kMaxRegexLineBytes = 4096;       // what a regex sees of a long line
inline constexpr unsigned kMaxRepetitionProduct = 1000;  // of the {m,n} bounds in a pattern

struct SearchRequest {
  std::string pattern;
  bool fixed = false;  // pattern is a plain string
  // Only files whose workspace path this glob matches ("src/**/*.py"); all when absent.
  std::optional<std::string> path_glob;
  size_t max_matches = kDefaultSearchMatches;  // 1 to kMaxSearchMatches
  // Whether the policy lets the search read a file (ToolScope::check_search); every file
  // when empty. Refused files are skipped and counted, not an error.
  std::function<bool(const policies::WorkspacePath&)> may_read;
  uint64_t max_scan_bytes = uint64_t{64} << 20;
  size_t max_output_bytes = size_t{64} << 10;
  std::chrono::milliseconds max_time{2000};
};

struct SearchResult {
  std::vector<std::string> matches;  // "path:line: text"
  size_t files_searched = 0;
  size_t skipped_by_policy = 0;
  size_t skipped_binary = 0;
  size_t skipped_large = 0;
  bool match_capped = false;    // max_matches reached
  bool output_capped = false;   // max_output_bytes reached
  bool work_capped = false;     // max_scan_bytes or max_time reached
  bool listing_capped = false;  // the workspace has more files than a listing holds

  // The matches, one a line, then a line saying what was searched and any cap.
  std::string render() const;
};

// An error names what was wrong: a pattern that does not compile (with regerror's message),
// one the bounds above refuse, a bad glob or max_matches.
base::Expected<SearchResult> search(const Workspace& workspace, const SearchRequest& request);

}  // namespace agents::tools
