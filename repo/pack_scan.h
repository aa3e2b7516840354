// A walk over a packfile's objects before libgit2's indexer sees them, for repo/bundle.cc only.
// The indexer inflates every object and rebuilds every delta in memory at the size the pack
// declares: a few kilobytes of hostile pack can declare (and a delta can then fill by copying
// one base over and over) gigabytes. So the sizes are checked here first: every object's, each
// delta's result, and their sum, inflating each zlib stream only up to the size it declared.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/expected.h"

namespace repo {

struct PackSizeLimits {
  size_t max_object_bytes;    // one object, or one delta's result, as the indexer holds it
  size_t max_inflated_bytes;  // every object and delta result together
};

// Ok when each of the pack's objects is well formed (type, size, offset, a zlib stream that
// ends at its declared size) and within `limits`; the checksums are the indexer's to check.
base::Status scan_pack_sizes(std::string_view pack, const PackSizeLimits& limits);

}  // namespace repo
