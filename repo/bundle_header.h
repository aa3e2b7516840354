// The text part of a git bundle (gitformat-bundle), for repo/bundle.cc only: the signature line,
// v3 capabilities, prerequisites and refs, then the packfile's own 12-byte header. Every byte
// is the client's: lines, names and counts are checked here before any of it reaches libgit2 or
// the disk.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "repo/bundle.h"

namespace repo {

struct BundleRef {
  std::string id;    // 40 lowercase hex digits
  std::string name;  // "HEAD", "refs/heads/…" or "refs/tags/…", a valid git ref name
};

struct BundleHeader {
  std::vector<BundleRef> refs;        // the refs to import, in the bundle's order
  std::vector<std::string> left_out;  // valid refs that are neither branches, tags nor HEAD
  std::string_view pack;              // the packfile: everything after the empty line
};

// The header of `bytes`, refusing a bundle with prerequisites, sha256 or unknown capabilities,
// malformed lines, invalid or repeated ref names, and more refs, header bytes or pack objects
// than `limits` allow.
base::Expected<BundleHeader> parse_bundle_header(std::string_view bytes,
                                                 const BundleLimits& limits);

// Hostile text for an error message: in quotes, at most 40 bytes, anything but printable ASCII
// escaped.
std::string shown(std::string_view text);

}  // namespace repo
