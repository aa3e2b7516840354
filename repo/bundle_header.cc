#include "repo/bundle_header.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>

#include "repo/git_internal.h"

namespace repo {
namespace {

constexpr std::string_view kSignatureV2 = "# v2 git bundle";
constexpr std::string_view kSignatureV3 = "# v3 git bundle";
constexpr size_t kIdDigits = 40;
constexpr size_t kMaxRefName = 1024;          // libgit2's own limit on a ref name
constexpr size_t kPackHeaderAndTrailer = 32;  // "PACK", version, object count; sha1 checksum
constexpr size_t kPrerequisitesShown = 3;

std::string error_prefix(size_t line_number) {
  return "bundle: line " + std::to_string(line_number) + ": ";
}

bool is_id(std::string_view text) {
  return text.size() == kIdDigits && text.find_first_not_of("0123456789abcdef") == text.npos;
}

// What the bytes are instead of a bundle, where that is easy to tell: the client sent the
// wrong file, or forgot a step.
std::string looks_like(std::string_view bytes) {
  if (bytes.empty()) return " (no bytes at all)";
  if (bytes.starts_with("PK\x03\x04")) return " (a zip archive)";
  if (bytes.starts_with("\x1f\x8b")) return " (gzip data)";
  if (bytes.size() > 262 && bytes.substr(257, 5) == "ustar") return " (a tar archive)";
  if (bytes.starts_with("PACK")) return " (a bare packfile without the bundle's header)";
  if (bytes.starts_with("IyB2")) return " (base64 text: send the decoded bytes)";
  return "";
}

// The header's lines, each without its '\n'; none past the header's byte limit.
class HeaderLines {
 public:
  HeaderLines(std::string_view bytes, size_t max_header_bytes)
      : bytes_(bytes), header_(bytes.substr(0, max_header_bytes)) {}

  std::optional<std::string_view> next() {
    const size_t end = header_.find('\n', at_);
    if (end == header_.npos) return std::nullopt;
    const std::string_view line = header_.substr(at_, end - at_);
    at_ = end + 1;
    ++number_;
    return line;
  }
  size_t number() const { return number_; }
  std::string_view rest() const { return bytes_.substr(at_); }

 private:
  std::string_view bytes_, header_;
  size_t at_ = 0;
  size_t number_ = 0;
};

base::Status check_capability(std::string_view line, size_t number) {
  if (line == "@object-format=sha1") return base::Ok{};
  if (line.starts_with("@object-format="))
    return base::Error{error_prefix(number) + "capability " + shown(line) +
                       ": expected @object-format=sha1 (sha1 repositories only)"};
  if (line.starts_with("@filter="))
    return base::Error{error_prefix(number) + "capability " + shown(line) +
                       ": a filtered bundle lacks objects; expected a complete one "
                       "(`git bundle create FILE --all`, without --filter)"};
  return base::Error{error_prefix(number) + "unknown capability " + shown(line) +
                     "; expected only @object-format=sha1"};
}

base::Status check_ref_name(const std::string& name) {
  const bool no_controls = std::none_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  int valid = 0;
  char normalized[kMaxRefName];
  const bool ok = name.size() < kMaxRefName && no_controls &&
                  git_reference_name_is_valid(&valid, name.c_str()) == 0 && valid &&
                  git_reference_normalize_name(normalized, sizeof normalized, name.c_str(),
                                               GIT_REFERENCE_FORMAT_ALLOW_ONELEVEL) == 0 &&
                  name == normalized;
  if (ok) return base::Ok{};
  return base::Error{"bundle: ref name " + shown(name) +
                     " is not a valid git ref name; expected names like refs/heads/main or "
                     "refs/tags/v1"};
}

bool is_imported(const std::string& name) {
  return name == "HEAD" || name.starts_with("refs/heads/") || name.starts_with("refs/tags/");
}

class HeaderParser {
 public:
  explicit HeaderParser(const BundleLimits& limits) : limits_(limits) {}

  base::Status line(std::string_view text, size_t number) {
    if (text[0] == '@') {
      if (!capabilities_allowed_)
        return base::Error{error_prefix(number) + "capability " + shown(text) +
                           " out of place; expected capabilities only in a v3 bundle, right "
                           "after its first line"};
      return check_capability(text, number);
    }
    capabilities_allowed_ = false;
    if (text[0] == '-') return prerequisite(text, number);
    return ref(text, number);
  }

  void allow_capabilities() { capabilities_allowed_ = true; }

  base::Expected<BundleHeader> finish(std::string_view pack) {
    if (!prerequisites_.empty()) {
      std::string ids;
      for (size_t i = 0; i < prerequisites_.size() && i < kPrerequisitesShown; ++i)
        ids += (i ? ", " : "") + prerequisites_[i];
      if (prerequisites_.size() > kPrerequisitesShown) ids += ", ...";
      return base::Error{"bundle: the bundle needs commits it does not carry (" + ids +
                         "); make it with `git bundle create FILE --all` (or HEAD)"};
    }
    if (header_.refs.empty()) {
      std::string left_out;
      for (const std::string& name : header_.left_out) left_out += " " + shown(name);
      return base::Error{
          "bundle: no branch, tag or HEAD to import; expected refs/heads/*, refs/tags/* or HEAD" +
          (left_out.empty() ? std::string() : " (it has only" + left_out + ")")};
    }
    header_.pack = pack;
    return std::move(header_);
  }

 private:
  base::Status prerequisite(std::string_view text, size_t number) {
    const std::string_view id = text.substr(1, kIdDigits);
    if (!is_id(id) || (text.size() > kIdDigits + 1 && text[kIdDigits + 1] != ' '))
      return base::Error{error_prefix(number) +
                         "expected a prerequisite \"-<40 hex digits> <comment>\", got " +
                         shown(text)};
    prerequisites_.emplace_back(id);
    return base::Ok{};
  }

  base::Status ref(std::string_view text, size_t number) {
    if (text.size() <= kIdDigits + 1 || text[kIdDigits] != ' ' || !is_id(text.substr(0, kIdDigits)))
      return base::Error{error_prefix(number) + "expected \"<40 hex digits> <ref name>\", got " +
                         shown(text)};
    std::string name(text.substr(kIdDigits + 1));
    if (auto s = check_ref_name(name); !s) return s;
    if (!seen_.insert(name).second)
      return base::Error{"bundle: ref " + shown(name) + " appears twice; expected each ref once"};
    if (seen_.size() > limits_.max_refs)
      return base::Error{"bundle: more than " + std::to_string(limits_.max_refs) +
                         " refs; at most that many are accepted"};
    if (is_imported(name))
      header_.refs.push_back({std::string(text.substr(0, kIdDigits)), std::move(name)});
    else
      header_.left_out.push_back(std::move(name));
    return base::Ok{};
  }

  const BundleLimits& limits_;
  bool capabilities_allowed_ = false;
  std::vector<std::string> prerequisites_;
  std::set<std::string> seen_;
  BundleHeader header_;
};

uint32_t big_endian(std::string_view four) {
  uint32_t value = 0;
  for (char byte : four.substr(0, 4)) value = (value << 8) | static_cast<unsigned char>(byte);
  return value;
}

base::Status check_pack_header(std::string_view pack, const BundleLimits& limits) {
  if (!pack.starts_with("PACK"))
    return base::Error{
        "bundle: expected a packfile (\"PACK\") after the header's empty line, got " + shown(pack)};
  if (pack.size() < kPackHeaderAndTrailer)
    return base::Error{"bundle: the packfile is cut short (" + std::to_string(pack.size()) +
                       " bytes; expected at least " + std::to_string(kPackHeaderAndTrailer) + ")"};
  const uint32_t version = big_endian(pack.substr(4));
  if (version != 2 && version != 3)
    return base::Error{"bundle: packfile version " + std::to_string(version) + "; expected 2 or 3"};
  const uint32_t objects = big_endian(pack.substr(8));
  if (objects > limits.max_objects)
    return base::Error{"bundle: the packfile holds " + std::to_string(objects) +
                       " objects; at most " + std::to_string(limits.max_objects) + " are accepted"};
  return base::Ok{};
}

}  // namespace

std::string shown(std::string_view text) {
  constexpr size_t kMaxShown = 40;
  std::string out = "\"";
  for (char c : text.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    }
  }
  out += '"';
  if (text.size() > kMaxShown) out += " (cut)";
  return out;
}

base::Expected<BundleHeader> parse_bundle_header(std::string_view bytes,
                                                 const BundleLimits& limits) {
  git_internal::init_libgit2();
  HeaderLines lines(bytes, limits.max_header_bytes);
  const auto signature = lines.next();
  if (!signature || (*signature != kSignatureV2 && *signature != kSignatureV3))
    return base::Error{
        "bundle: expected \"# v2 git bundle\" or \"# v3 git bundle\" on the first line, got " +
        shown(bytes.substr(0, bytes.find('\n'))) + looks_like(bytes)};
  HeaderParser parser(limits);
  if (*signature == kSignatureV3) parser.allow_capabilities();
  for (;;) {
    const auto line = lines.next();
    if (!line)
      return base::Error{"bundle: no empty line ends the header within its first " +
                         std::to_string(limits.max_header_bytes) +
                         " bytes; expected refs, an empty line, then the packfile"};
    if (line->empty()) break;
    if (auto s = parser.line(*line, lines.number()); !s) return s.error();
  }
  auto header = parser.finish(lines.rest());
  if (!header) return header;
  if (auto s = check_pack_header(header->pack, limits); !s) return s.error();
  return header;
}

}  // namespace repo
