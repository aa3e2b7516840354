#include "agents/tools/unified_diff.h"

#include <charconv>
#include <set>

namespace agents::tools {
namespace {

using base::Error;
using policies::WorkspacePath;

constexpr std::string_view kDevNull = "/dev/null";
constexpr size_t kMaxLineNumber = 100'000'000;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// A bounded, printable quote of patch text for error messages.
std::string shown(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 120)) out += (static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  return out + (text.size() > 120 ? "…\"" : "\"");
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

// What follows "diff --git ", "--- " or "+++ " up to a tab (diff -u's timestamp); trailing
// blanks and a CR are dropped, as a model's patch often carries them.
std::string_view header_path(std::string_view rest) {
  rest = rest.substr(0, rest.find('\t'));
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.remove_suffix(1);
  return rest;
}

// The per-file header lines git writes that change nothing this can apply, or that it refuses.
std::optional<std::string> unsupported(std::string_view line) {
  for (std::string_view rename : {"rename from ", "rename to ", "copy from ", "copy to "}) {
    if (starts_with(line, rename)) {
      return "renames and copies are not supported; delete the old file (+++ /dev/null) and "
             "create the new one (--- /dev/null) in the same patch";
    }
  }
  if (starts_with(line, "GIT binary patch") || starts_with(line, "Binary files ")) {
    return "binary patches are not supported; only text files can be patched";
  }
  return std::nullopt;
}

class Parser {
 public:
  explicit Parser(std::string_view patch) : lines_(split_lines(patch)) {}

  base::Expected<std::vector<FilePatch>> run() {
    while (next_ < lines_.size()) {
      const std::string_view line = lines_[next_];
      if (auto why = unsupported(line)) return fail(next_, *why);
      if (starts_with(line, "diff --git ")) {
        if (auto flushed = flush_git_header(); !flushed) return flushed.error();
        git_ = GitHeader{next_, std::string(header_path(line.substr(11)))};
      } else if (git_ &&
                 (starts_with(line, "new file mode") || starts_with(line, "deleted file mode"))) {
        (starts_with(line, "new") ? git_->creates : git_->deletes) = true;
      } else if (starts_with(line, "--- ") && next_ + 1 < lines_.size() &&
                 starts_with(lines_[next_ + 1], "+++ ")) {
        if (auto file = parse_file(); !file) return file.error();
        continue;
      }
      ++next_;  // "index ...", mode lines, a preamble or commit message: nothing to apply
    }
    if (auto flushed = flush_git_header(); !flushed) return flushed.error();
    if (files_.empty()) {
      return Error{
          "apply_patch: the patch names no file; expected a unified diff with "
          "\"--- a/PATH\" and \"+++ b/PATH\" lines followed by \"@@\" hunks"};
    }
    return std::move(files_);
  }

 private:
  // A "diff --git" header not yet followed by "---": git writes none for an empty file it
  // creates or deletes, so such a header is that file.
  struct GitHeader {
    size_t line = 0;
    std::string paths;  // "a/x b/x"
    bool creates = false;
    bool deletes = false;
  };

  Error fail(size_t index, const std::string& why) const {
    return Error{"apply_patch: patch line " + std::to_string(index + 1) + ": " + why};
  }

  base::Status flush_git_header() {
    std::optional<GitHeader> header = std::move(git_);
    git_.reset();
    if (!header || (!header->creates && !header->deletes)) return base::Ok{};
    // "a/P b/P": with no rename the halves are the same path.
    const std::string& paths = header->paths;
    const size_t half = paths.size() >= 5 ? (paths.size() - 5) / 2 : 0;
    if (paths.size() < 5 || paths.size() % 2 == 0 || !starts_with(paths, "a/") ||
        paths.substr(2 + half, 3) != " b/" || paths.substr(2, half) != paths.substr(5 + half)) {
      return fail(header->line, "cannot read the path of " + shown(paths) +
                                    "; expected \"diff --git a/PATH b/PATH\"");
    }
    auto path = parse_path(header->line, paths.substr(2, half));
    if (!path) return path.error();
    FilePatch file;
    (header->creates ? file.new_path : file.old_path) = std::move(*path);
    file.patch_line = header->line + 1;
    return add(std::move(file));
  }

  base::Expected<WorkspacePath> parse_path(size_t index, std::string_view raw) const {
    if (starts_with(raw, "\"")) {
      return fail(index, "quoted path " + shown(raw) +
                             " is not supported; name files without quotes or escapes");
    }
    auto path = WorkspacePath::parse(raw);
    if (!path) {
      Error refused = fail(index, path.error().message);
      refused.code = kPatchPathRefused;
      return refused;
    }
    if (path->is_root()) return fail(index, "the path names the workspace, not a file");
    return path;
  }

  // Parses "--- X" "+++ Y" and the hunks after them.
  base::Status parse_file() {
    const size_t header = next_;
    const std::string_view old_raw = header_path(lines_[next_].substr(4));
    const std::string_view new_raw = header_path(lines_[next_ + 1].substr(4));
    const bool git = git_.has_value();
    git_.reset();
    next_ += 2;
    if (old_raw == kDevNull && new_raw == kDevNull) {
      return fail(header, "both sides are /dev/null; name the file on one of them");
    }
    // git's a/ b/ prefixes: stripped after "diff --git", or when both sides carry them.
    const bool strip = git || ((old_raw == kDevNull || starts_with(old_raw, "a/")) &&
                               (new_raw == kDevNull || starts_with(new_raw, "b/")));
    FilePatch file;
    file.patch_line = header + 1;
    struct Side {
      std::string_view raw;
      size_t line;
      std::optional<WorkspacePath>* slot;
    };
    for (Side side :
         {Side{old_raw, header, &file.old_path}, Side{new_raw, header + 1, &file.new_path}}) {
      auto& [raw, index, slot] = side;
      if (raw == kDevNull) continue;
      if (strip && (starts_with(raw, "a/") || starts_with(raw, "b/"))) raw.remove_prefix(2);
      auto path = parse_path(index, raw);
      if (!path) return path.error();
      *slot = std::move(*path);
    }
    if (file.old_path && file.new_path && *file.old_path != *file.new_path) {
      return fail(header, "renames are not supported (" + shown(file.old_path->str()) + " to " +
                              shown(file.new_path->str()) +
                              "); delete the old file and create the new one");
    }
    while (next_ < lines_.size() && starts_with(lines_[next_], "@@")) {
      auto hunk = parse_hunk(file);
      if (!hunk) return hunk.error();
      file.hunks.push_back(std::move(*hunk));
    }
    if (auto why = trailing_hunk_line(file)) return fail(next_, *why);
    if (file.hunks.empty()) {
      return fail(header, shown(file.path().str()) + " has no hunks; expected \"@@ -L,N +L,N @@\"");
    }
    return add(std::move(file));
  }

  // A hunk line after the last hunk's counts ran out: the header's counts are wrong, and
  // applying the hunk without that line would silently drop it.
  std::optional<std::string> trailing_hunk_line(const FilePatch& file) const {
    if (next_ >= lines_.size() || file.hunks.empty()) return std::nullopt;
    const std::string_view line = lines_[next_];
    const bool next_file = starts_with(line, "--- ") && next_ + 1 < lines_.size() &&
                           starts_with(lines_[next_ + 1], "+++ ");
    const bool signature = line == "-- " || line == "--";  // git format-patch's trailer
    if (line.empty() || next_file || signature ||
        (line[0] != '+' && line[0] != '-' && line[0] != ' ')) {
      return std::nullopt;
    }
    const Hunk& last = file.hunks.back();
    return shown(line) + " follows hunk " + std::to_string(file.hunks.size()) + " of " +
           shown(file.path().str()) + " (" + last.header +
           ") but its line counts are used up; correct the counts in the @@ line";
  }

  base::Status add(FilePatch file) {
    if (files_.size() == kMaxPatchFiles) {
      return fail(file.patch_line - 1,
                  "more than " + std::to_string(kMaxPatchFiles) + " files; split the patch");
    }
    if (!seen_.insert(file.path().str()).second) {
      return fail(file.patch_line - 1, shown(file.path().str()) +
                                           " appears twice; give all of a file's hunks under "
                                           "one header");
    }
    files_.push_back(std::move(file));
    return base::Ok{};
  }

  // "-12,3" or "+12" (a count of 1).
  static bool parse_range(std::string_view& text, char sign, size_t& start, size_t& count) {
    if (text.empty() || text.front() != sign) return false;
    text.remove_prefix(1);
    auto number = [&text](size_t& out) {
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
      if (error != std::errc() || end == text.data() || out > kMaxLineNumber) return false;
      text.remove_prefix(static_cast<size_t>(end - text.data()));
      return true;
    };
    if (!number(start)) return false;
    count = 1;
    if (!text.empty() && text.front() == ',') {
      text.remove_prefix(1);
      if (!number(count)) return false;
    }
    return true;
  }

  base::Expected<Hunk> parse_hunk(const FilePatch& file) {
    Hunk hunk;
    hunk.patch_line = next_ + 1;
    hunk.header = std::string(header_path(lines_[next_].substr(0, 200)));
    std::string_view rest = lines_[next_].substr(2);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    bool ok = parse_range(rest, '-', hunk.old_start, hunk.old_count) && !rest.empty() &&
              rest.front() == ' ';
    if (ok) rest.remove_prefix(1);
    ok = ok && parse_range(rest, '+', hunk.new_start, hunk.new_count) && starts_with(rest, " @@");
    if (!ok) {
      return fail(next_, "cannot read hunk header " + shown(lines_[next_]) +
                             "; expected \"@@ -START,COUNT +START,COUNT @@\"");
    }
    const size_t number = file.hunks.size() + 1;
    if ((file.creates() && hunk.old_count != 0) || (file.deletes() && hunk.new_count != 0)) {
      return fail(next_, "hunk " + std::to_string(number) + " of " + shown(file.path().str()) +
                             (file.creates() ? " creates the file, so it can have no old lines"
                                             : " deletes the file, so it can have no new lines"));
    }
    ++next_;
    return read_hunk_lines(std::move(hunk), file, number);
  }

  base::Expected<Hunk> read_hunk_lines(Hunk hunk, const FilePatch& file, size_t number) {
    size_t old_left = hunk.old_count;
    size_t new_left = hunk.new_count;
    auto short_hunk = [&](size_t index) {
      const std::string found = index < lines_.size() ? shown(lines_[index]) : "the end";
      return fail(index, "hunk " + std::to_string(number) + " of " + shown(file.path().str()) +
                             " (" + hunk.header + ") should have " +
                             std::to_string(hunk.old_count) + " old and " +
                             std::to_string(hunk.new_count) + " new lines, but " +
                             std::to_string(old_left) + " old and " + std::to_string(new_left) +
                             " new are missing before " + found +
                             "; every line of a hunk starts with ' ', '-' or '+'");
    };
    while (old_left > 0 || new_left > 0) {
      if (next_ >= lines_.size()) return short_hunk(next_);
      const std::string_view line = lines_[next_];
      // An empty line stands for an empty context line: editors and models drop its space.
      const char marker = line.empty() ? ' ' : line.front();
      const std::string_view text = line.empty() ? line : line.substr(1);
      if (marker == '\\') {
        mark_no_newline(hunk);
      } else if (marker == ' ' && old_left > 0 && new_left > 0) {
        hunk.lines.push_back({HunkLine::Kind::context, std::string(text)});
        --old_left, --new_left;
      } else if (marker == '-' && old_left > 0) {
        hunk.lines.push_back({HunkLine::Kind::removed, std::string(text)});
        --old_left;
      } else if (marker == '+' && new_left > 0) {
        hunk.lines.push_back({HunkLine::Kind::added, std::string(text)});
        --new_left;
      } else {
        return short_hunk(next_);
      }
      ++next_;
    }
    if (next_ < lines_.size() && starts_with(lines_[next_], "\\")) {
      mark_no_newline(hunk);
      ++next_;
    }
    return hunk;
  }

  // "\ No newline at end of file" after the line it is about.
  static void mark_no_newline(Hunk& hunk) {
    if (hunk.lines.empty()) return;
    const HunkLine::Kind kind = hunk.lines.back().kind;
    if (kind != HunkLine::Kind::added) hunk.old_ends_without_newline = true;
    if (kind != HunkLine::Kind::removed) hunk.new_ends_without_newline = true;
  }

  std::vector<std::string_view> lines_;
  size_t next_ = 0;
  std::optional<GitHeader> git_;
  std::vector<FilePatch> files_;
  std::set<std::string> seen_;
};

}  // namespace

std::vector<std::string_view> Hunk::old_lines() const {
  std::vector<std::string_view> out;
  for (const HunkLine& line : lines)
    if (line.kind != HunkLine::Kind::added) out.push_back(line.text);
  return out;
}

std::vector<std::string_view> Hunk::new_lines() const {
  std::vector<std::string_view> out;
  for (const HunkLine& line : lines)
    if (line.kind != HunkLine::Kind::removed) out.push_back(line.text);
  return out;
}

base::Expected<std::vector<FilePatch>> parse_unified_diff(std::string_view patch) {
  if (patch.size() > kMaxPatchBytes) {
    return Error{"apply_patch: the patch is " + std::to_string(patch.size()) +
                 " bytes; the limit is " + std::to_string(kMaxPatchBytes) +
                 "; split it into smaller patches"};
  }
  if (patch.find('\0') != std::string_view::npos) {
    return Error{"apply_patch: the patch has a NUL byte; binary patches are not supported"};
  }
  return Parser(patch).run();
}

}  // namespace agents::tools
