#include "agents/tools/search.h"

#include <regex.h>

#include <cctype>
#include <cstring>
#include <memory>

namespace agents::tools {
namespace {

using base::Error;
using policies::WorkspacePath;
using Clock = std::chrono::steady_clock;

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 120)) out += (static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  return out + (text.size() > 120 ? "…\"" : "\"");
}

// Why regcomp must not see `pattern`: back-references (exponential to match), or repetition
// bounds whose product is large ("(.*){1,32000}" makes regcomp take gigabytes). Bracket
// expressions are skipped: a '{' inside one is a character.
std::optional<std::string> pattern_problem(std::string_view pattern) {
  unsigned long product = 1;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      if (pattern[i + 1] >= '1' && pattern[i + 1] <= '9') {
        return "back-references like \\1 are not supported (they can take exponential time)";
      }
      ++i;
    } else if (c == '[') {
      size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '^') ++j;
      if (j < pattern.size() && pattern[j] == ']') ++j;
      while (j < pattern.size() && pattern[j] != ']') ++j;
      i = j;
    } else if (c == '{') {
      unsigned long largest = 0;
      unsigned long number = 0;
      size_t j = i + 1;
      for (; j < pattern.size() &&
             (std::isdigit(static_cast<unsigned char>(pattern[j])) || pattern[j] == ',');
           ++j) {
        number = pattern[j] == ',' ? 0 : std::min(number * 10 + (pattern[j] - '0'), 1'000'000ul);
        largest = std::max(largest, number);
      }
      product *= std::max(largest, 1ul);
      if (product > kMaxRepetitionProduct) {
        return "its repetition counts ({m,n}) multiply to more than " +
               std::to_string(kMaxRepetitionProduct) + "; use smaller counts or * and +";
      }
      i = j;
    }
  }
  return std::nullopt;
}

struct RegexFree {
  void operator()(regex_t* regex) const {
    ::regfree(regex);
    delete regex;
  }
};
using Regex = std::unique_ptr<regex_t, RegexFree>;

base::Expected<Regex> compile(const std::string& pattern) {
  if (auto why = pattern_problem(pattern)) {
    return Error{"search: pattern " + quote(pattern) + " refused: " + *why};
  }
  auto regex = std::make_unique<regex_t>();
  const int code = ::regcomp(regex.get(), pattern.c_str(), REG_EXTENDED | REG_NEWLINE | REG_NOSUB);
  if (code != 0) {
    char message[256];
    ::regerror(code, regex.get(), message, sizeof message);
    return Error{"search: pattern " + quote(pattern) + " is not a valid POSIX extended regular " +
                 "expression: " + message + " (or pass \"fixed\": true to search for it as text)"};
  }
  return Regex(regex.release());
}

std::string cut_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() <= kSearchLineChars) return std::string(line);
  return std::string(line.substr(0, kSearchLineChars)) + "…";
}

class Searcher {
 public:
  Searcher(const SearchRequest& request, const Regex* regex)
      : request_(request), regex_(regex), deadline_(Clock::now() + request.max_time) {}

  SearchResult& result() { return result_; }

  bool stopped() const { return stopped_; }

  bool out_of_work() {
    if (scanned_ <= request_.max_scan_bytes && Clock::now() < deadline_) return false;
    result_.work_capped = stopped_ = true;
    return true;
  }

  void file(const std::string& path, std::string_view data) {
    ++result_.files_searched;
    scanned_ += data.size();
    if (regex_ != nullptr) {
      scan_lines(path, data);
    } else {
      scan_fixed(path, data);
    }
  }

 private:
  void scan_lines(const std::string& path, std::string_view data) {
    size_t line_number = 1;
    for (size_t begin = 0; begin < data.size() && !stopped_; ++line_number) {
      size_t end = data.find('\n', begin);
      if (end == std::string_view::npos) end = data.size();
      regmatch_t range[1];
      range[0].rm_so = static_cast<regoff_t>(begin);
      range[0].rm_eo = static_cast<regoff_t>(std::min(end, begin + kMaxRegexLineBytes));
      if (::regexec(regex_->get(), data.data(), 1, range, REG_STARTEND) == 0) {
        add(path, line_number, data.substr(begin, end - begin));
      }
      if ((line_number & 255) == 0 || end - begin > 1024) out_of_work();
      begin = end + 1;
    }
  }

  // memmem over the whole file (linear), then the line around each hit.
  void scan_fixed(const std::string& path, std::string_view data) {
    const std::string& needle = request_.pattern;
    size_t line_number = 1;
    size_t counted = 0;  // newlines before here are in line_number
    size_t from = 0;
    while (!stopped_ && from < data.size()) {
      const void* hit =
          ::memmem(data.data() + from, data.size() - from, needle.data(), needle.size());
      if (hit == nullptr) return;
      const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - data.data());
      const size_t begin = at == 0 ? 0 : data.rfind('\n', at - 1) + 1;  // npos + 1 == 0
      size_t end = data.find('\n', at);
      if (end == std::string_view::npos) end = data.size();
      for (; counted < begin; ++counted) line_number += data[counted] == '\n' ? 1 : 0;
      add(path, line_number, data.substr(begin, end - begin));
      from = end + 1;
    }
  }

  void add(const std::string& path, size_t line_number, std::string_view line) {
    if (result_.matches.size() == request_.max_matches) {
      result_.match_capped = stopped_ = true;
      return;
    }
    std::string text = path + ":" + std::to_string(line_number) + ": " + cut_line(line);
    if (output_ + text.size() > request_.max_output_bytes) {
      result_.output_capped = stopped_ = true;
      return;
    }
    output_ += text.size() + 1;
    result_.matches.push_back(std::move(text));
  }

  const SearchRequest& request_;
  const Regex* regex_;
  Clock::time_point deadline_;
  SearchResult result_;
  uint64_t scanned_ = 0;
  size_t output_ = 0;
  bool stopped_ = false;
};

base::Status check_request(const SearchRequest& request) {
  if (request.pattern.empty()) return Error{"search: the pattern is empty"};
  if (request.pattern.size() > kMaxSearchPatternBytes) {
    return Error{"search: the pattern is " + std::to_string(request.pattern.size()) +
                 " bytes; the limit is " + std::to_string(kMaxSearchPatternBytes)};
  }
  if (request.pattern.find('\0') != std::string::npos) {
    return Error{"search: the pattern has a NUL byte"};
  }
  if (request.max_matches < 1 || request.max_matches > kMaxSearchMatches) {
    return Error{"search: max_matches is " + std::to_string(request.max_matches) +
                 "; expected 1 to " + std::to_string(kMaxSearchMatches)};
  }
  if (request.path_glob) {
    if (auto why = policies::glob_problem(*request.path_glob)) {
      return Error{"search: path_glob " + quote(*request.path_glob) + ": " + *why};
    }
  }
  return base::Ok{};
}

bool is_binary(std::string_view data) {
  return data.substr(0, kSearchBinaryProbeBytes).find('\0') != std::string_view::npos;
}

}  // namespace

base::Expected<SearchResult> search(const Workspace& workspace, const SearchRequest& request) {
  if (auto checked = check_request(request); !checked) return checked.error();
  Regex regex;
  if (!request.fixed) {
    auto compiled = compile(request.pattern);
    if (!compiled) return compiled.error();
    regex = std::move(*compiled);
  }
  auto listing = workspace.list_files("");
  if (!listing) return Error{"search: " + listing.error().message};
  Searcher searcher(request, request.fixed ? nullptr : &regex);
  SearchResult& result = searcher.result();
  result.listing_capped = listing->truncated;
  for (const DirEntry& entry : listing->entries) {
    if (searcher.stopped() || searcher.out_of_work()) break;
    if (entry.kind != DirEntry::Kind::file) continue;  // symlinks are listed, never read
    if (entry.path == ".git" || entry.path.rfind(".git/", 0) == 0) continue;  // git's, not code
    auto path = WorkspacePath::parse(entry.path);
    if (!path) continue;
    if (request.path_glob && !policies::glob_matches(*request.path_glob, *path)) continue;
    if (request.may_read && !request.may_read(*path)) {
      ++result.skipped_by_policy;
      continue;
    }
    if (entry.size > kMaxSearchFileBytes) {
      ++result.skipped_large;
      continue;
    }
    auto content = workspace.read_file(*path);
    if (!content) continue;  // gone, or replaced by a symlink, since the listing
    if (content->truncated || content->size > kMaxSearchFileBytes) {
      ++result.skipped_large;
    } else if (is_binary(content->data)) {
      ++result.skipped_binary;
    } else {
      searcher.file(path->str(), content->data);
    }
  }
  return std::move(result);
}

std::string SearchResult::render() const {
  std::string out;
  for (const std::string& match : matches) out += match + "\n";
  std::string summary =
      (matches.empty() ? "no matches" : std::to_string(matches.size()) + " matching lines") +
      " in " + std::to_string(files_searched) + " files searched";
  auto note = [&summary](size_t count, const char* why) {
    if (count > 0) summary += "; " + std::to_string(count) + " " + why;
  };
  note(skipped_by_policy, "files skipped (the policy does not let search read them)");
  note(skipped_binary, "binary files skipped");
  note(skipped_large, "files over 1 MiB skipped");
  if (match_capped) summary += "; stopped at max_matches, there may be more";
  if (output_capped) summary += "; stopped: the output is capped, narrow the search";
  if (work_capped) summary += "; stopped: the search's time or bytes ran out, narrow it";
  if (listing_capped) summary += "; the workspace has more files than were listed";
  return out + "[" + summary + "]";
}

}  // namespace agents::tools
