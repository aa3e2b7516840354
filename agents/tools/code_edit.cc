#include "agents/tools/code_edit.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

namespace agents::tools {
namespace {

using base::Error;
using policies::WorkspacePath;

// edit_file lists at most this many occurrences; counting stops there too, which bounds the
// work on a file of a million "a"s and an old_text of "a".
constexpr size_t kMaxOccurrences = 100;
// Line comparisons one patch may cost while looking for where its hunks match (a hostile
// patch of identical lines against a file of identical lines would otherwise be quadratic).
constexpr size_t kMaxCompareWork = size_t{50} * 1000 * 1000;

// Workspace errors start with the Workspace call's name ("read_file: ..."); the model called
// `tool`, so they are told as its.
Error as_tool(const Error& error, std::string_view tool) {
  const size_t colon = error.message.find(": ");
  std::string rest = colon == std::string::npos ? error.message : error.message.substr(colon + 2);
  return Error{std::string(tool) + ": " + rest, error.code, error.sys_errno};
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 160)) out += (static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  return out + (text.size() > 160 ? "…\"" : "\"");
}

size_t line_at(std::string_view text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset; ++i) line += text[i] == '\n' ? 1 : 0;
  return line;
}

// Where `needle` starts in `haystack`, overlapping occurrences included, at most `limit`.
// memmem is linear (two-way), so a hostile old_text cannot make this quadratic.
std::vector<size_t> occurrences(std::string_view haystack, std::string_view needle, size_t limit) {
  std::vector<size_t> found;
  size_t from = 0;
  while (found.size() < limit && from + needle.size() <= haystack.size()) {
    const void* hit =
        ::memmem(haystack.data() + from, haystack.size() - from, needle.data(), needle.size());
    if (hit == nullptr) break;
    found.push_back(static_cast<size_t>(static_cast<const char*>(hit) - haystack.data()));
    from = found.back() + 1;
  }
  return found;
}

std::string lines_of(std::string_view text, const std::vector<size_t>& offsets) {
  std::string out;
  size_t line = 1;
  size_t scanned = 0;
  for (size_t offset : offsets) {
    for (; scanned < offset; ++scanned) line += text[scanned] == '\n' ? 1 : 0;
    out += (out.empty() ? "" : ", ") + std::to_string(line);
  }
  return out;
}

// A text file as lines, and whether its last line ends with a newline.
struct TextFile {
  std::vector<std::string> lines;
  bool ends_with_newline = true;

  static TextFile split(std::string_view content) {
    TextFile file;
    if (content.empty()) return file;
    file.ends_with_newline = content.back() == '\n';
    if (file.ends_with_newline) content.remove_suffix(1);
    while (true) {
      const size_t end = content.find('\n');
      file.lines.emplace_back(content.substr(0, end));
      if (end == std::string_view::npos) break;
      content.remove_prefix(end + 1);
    }
    return file;
  }

  std::string join() const {
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
    if (!lines.empty() && ends_with_newline) out += '\n';
    return out;
  }
};

// Applies one file's hunks in memory. Each hunk's old lines (context and removed) must match
// the file exactly; like `patch`, a hunk whose line numbers are off is looked for elsewhere
// (nearest first, after the previous hunk), but with no fuzz: every context line counts.
class HunkApplier {
 public:
  HunkApplier(const FilePatch& file, size_t& work) : file_(file), work_(work) {}

  base::Expected<TextFile> run(const TextFile& original) {
    TextFile out;
    out.ends_with_newline = original.ends_with_newline;
    size_t cursor = 0;
    for (size_t number = 1; number <= file_.hunks.size(); ++number) {
      const Hunk& hunk = file_.hunks[number - 1];
      const std::vector<std::string_view> old_lines = hunk.old_lines();
      const size_t stated =
          hunk.old_count == 0 || hunk.old_start == 0 ? hunk.old_start : hunk.old_start - 1;
      std::optional<size_t> at = find(original.lines, old_lines, stated, cursor);
      if (!at) return mismatch(original.lines, old_lines, hunk, number, stated, cursor);
      const bool at_end = *at + old_lines.size() == original.lines.size();
      if (hunk.old_ends_without_newline && !at_end) {
        return fail(hunk, number,
                    "says its last old line ends the file, but it matched at line " +
                        std::to_string(*at + 1) + ", before the end");
      }
      out.lines.insert(out.lines.end(), original.lines.begin() + static_cast<long>(cursor),
                       original.lines.begin() + static_cast<long>(*at));
      for (std::string_view line : hunk.new_lines()) out.lines.emplace_back(line);
      if (at_end) out.ends_with_newline = !hunk.new_ends_without_newline;
      cursor = *at + old_lines.size();
    }
    out.lines.insert(out.lines.end(), original.lines.begin() + static_cast<long>(cursor),
                     original.lines.end());
    return out;
  }

 private:
  bool matches_at(const std::vector<std::string>& lines, const std::vector<std::string_view>& old,
                  size_t at) {
    if (at + old.size() > lines.size()) return false;
    for (size_t i = 0; i < old.size(); ++i) {
      ++work_;
      if (lines[at + i] != old[i]) return false;
    }
    return true;
  }

  // The place nearest `stated` at or after `cursor` where `old` matches.
  std::optional<size_t> find(const std::vector<std::string>& lines,
                             const std::vector<std::string_view>& old, size_t stated,
                             size_t cursor) {
    if (old.empty()) {  // a pure insertion has nothing to look for: it goes where it says
      if (stated >= cursor && stated <= lines.size()) return stated;
      return std::nullopt;
    }
    if (lines.size() < old.size() || cursor > lines.size() - old.size()) return std::nullopt;
    const size_t last = lines.size() - old.size();
    const size_t start = std::clamp(stated, cursor, last);
    for (size_t distance = 0; work_ <= kMaxCompareWork; ++distance) {
      const bool below = start + distance <= last;
      const bool above = distance > 0 && start >= cursor + distance;
      if (!below && !above) break;
      if (below && matches_at(lines, old, start + distance)) return start + distance;
      if (above && matches_at(lines, old, start - distance)) return start - distance;
    }
    return std::nullopt;
  }

  Error fail(const Hunk& hunk, size_t number, const std::string& why) const {
    return Error{"apply_patch: " + quote(file_.path().str()) + ", hunk " + std::to_string(number) +
                 " (" + hunk.header + ", patch line " + std::to_string(hunk.patch_line) + ") " +
                 why + "; nothing was applied"};
  }

  // Says which line did not match where the hunk says it applies.
  Error mismatch(const std::vector<std::string>& lines, const std::vector<std::string_view>& old,
                 const Hunk& hunk, size_t number, size_t stated, size_t cursor) const {
    if (work_ > kMaxCompareWork) {
      return fail(hunk, number,
                  "could not be placed within the work limit; give exact line "
                  "numbers and fewer, smaller hunks");
    }
    if (stated < cursor) {
      return fail(hunk, number, "overlaps the hunk before it; hunks must be in file order");
    }
    for (size_t i = 0; i < old.size(); ++i) {
      if (stated + i >= lines.size()) {
        return fail(hunk, number,
                    "does not match: the file has only " + std::to_string(lines.size()) +
                        " lines, and the hunk's line " + quote(old[i]) + " was expected at line " +
                        std::to_string(stated + i + 1) + " (or anywhere else)");
      }
      if (lines[stated + i] != old[i]) {
        return fail(hunk, number,
                    "does not match: line " + std::to_string(stated + i + 1) + " of the file is " +
                        quote(lines[stated + i]) + ", the hunk expects " + quote(old[i]) +
                        " (and its lines match nowhere else); read the file again");
      }
    }
    return fail(hunk, number, "does not match the file");
  }

  const FilePatch& file_;
  size_t& work_;
};

// One file's new content, checked against what is there now. nullopt content: delete it.
struct Planned {
  const FilePatch* file = nullptr;
  std::optional<std::string> before;  // nullopt: the file does not exist yet
  std::optional<std::string> after;   // nullopt: the file is deleted
};

base::Expected<Planned> plan(const Workspace& workspace, const FilePatch& file, size_t& work) {
  Planned planned{&file, std::nullopt, std::nullopt};
  auto current = workspace.read_file(file.path());
  if (file.creates()) {
    if (current) {
      return Error{"apply_patch: the patch creates " + quote(file.path().str()) +
                   ", which already exists; change it with a hunk against its content instead"};
    }
    if (current.error().sys_errno != ENOENT) return as_tool(current.error(), "apply_patch");
  } else {
    if (!current) return as_tool(current.error(), "apply_patch");
    if (current->truncated) {
      return Error{"apply_patch: " + quote(file.path().str()) + " is " +
                   std::to_string(current->size) + " bytes, more than can be read to patch it"};
    }
    planned.before = std::move(current->data);
  }
  auto patched = HunkApplier(file, work).run(TextFile::split(planned.before.value_or("")));
  if (!patched) return patched.error();
  if (file.deletes()) {
    if (!patched->lines.empty()) {
      return Error{"apply_patch: the patch deletes " + quote(file.path().str()) +
                   ", but its hunks leave " + std::to_string(patched->lines.size()) +
                   " of its lines; remove every line of a deleted file"};
    }
    return planned;
  }
  planned.after = patched->join();
  return planned;
}

// Undoes what was written so far, newest first; best effort, as the failure it follows.
void restore(const Workspace& workspace, const std::vector<const Planned*>& done) {
  for (auto it = done.rbegin(); it != done.rend(); ++it) {
    const Planned& planned = **it;
    if (planned.before) {
      (void)workspace.write_file(planned.file->path(), *planned.before);
    } else {
      (void)workspace.remove_file(planned.file->path());
    }
  }
}

}  // namespace

base::Expected<EditResult> edit_file(const Workspace& workspace, std::string_view path,
                                     std::string_view old_text, std::string_view new_text) {
  auto parsed = WorkspacePath::parse(path);
  if (!parsed) return Error{"edit_file: " + parsed.error().message};
  const std::string name = quote(parsed->str());
  if (old_text.empty()) {
    return Error{
        "edit_file: old_text is empty; give the exact text to replace (to create a "
        "file, use write_file)"};
  }
  auto content = workspace.read_file(*parsed);
  if (!content) return as_tool(content.error(), "edit_file");
  if (content->truncated) {
    return Error{"edit_file: " + name + " is " + std::to_string(content->size) +
                 " bytes, more than edit_file can read; it cannot be edited this way"};
  }
  const std::string& text = content->data;
  const std::vector<size_t> found = occurrences(text, old_text, kMaxOccurrences);
  if (found.empty()) {
    return Error{"edit_file: old_text occurs 0 times in " + name +
                 " (it must occur exactly once; read the file again)"};
  }
  if (found.size() > 1) {
    const std::string count = found.size() == kMaxOccurrences
                                  ? "at least " + std::to_string(kMaxOccurrences)
                                  : std::to_string(found.size());
    return Error{"edit_file: old_text occurs " + count + " times in " + name + " (at lines " +
                 lines_of(text, found) + "; include surrounding lines so that it occurs once)"};
  }
  std::string edited = text.substr(0, found[0]);
  edited.append(new_text);
  edited.append(text, found[0] + old_text.size());
  if (auto written = workspace.write_file(*parsed, edited); !written) {
    return as_tool(written.error(), "edit_file");
  }
  return EditResult{parsed->str(), line_at(text, found[0])};
}

std::vector<WorkspacePath> patch_paths(const std::vector<FilePatch>& files) {
  std::vector<WorkspacePath> paths;
  auto add = [&paths](const std::optional<WorkspacePath>& path) {
    if (!path) return;
    for (const WorkspacePath& known : paths)
      if (known == *path) return;
    paths.push_back(*path);
  };
  for (const FilePatch& file : files) {
    add(file.old_path);
    add(file.new_path);
  }
  return paths;
}

base::Expected<PatchResult> apply_patch(const Workspace& workspace,
                                        const std::vector<FilePatch>& files) {
  std::vector<Planned> plans;
  plans.reserve(files.size());
  size_t work = 0;
  for (const FilePatch& file : files) {
    auto planned = plan(workspace, file, work);
    if (!planned) return planned.error();
    plans.push_back(std::move(*planned));
  }
  PatchResult result;
  std::vector<const Planned*> done;
  for (const Planned& planned : plans) {
    const WorkspacePath& path = planned.file->path();
    base::Status status =
        planned.after ? workspace.write_file(path, *planned.after) : workspace.remove_file(path);
    if (!status) {
      restore(workspace, done);
      return Error{as_tool(status.error(), "apply_patch").message +
                   " (the files already written were put back; nothing was applied)"};
    }
    done.push_back(&planned);
    auto& list = !planned.before ? result.created
                 : planned.after ? result.modified
                                 : result.deleted;
    list.push_back(path.str());
  }
  return result;
}

}  // namespace agents::tools
