// Reading the dynamic linker's cache (/etc/ld.so.cache, written by ldconfig) to find where
// the driver's user-space libraries live, the way libnvidia-container does, without running
// ldconfig. Only glibc's current format ("glibc-ld.so.cache1.1", glibc >= 2.32 writes nothing
// else) is read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace gpu {

struct LdCacheEntry {
  std::string soname;  // e.g. "libcuda.so.1"
  std::string path;    // e.g. "/usr/lib/x86_64-linux-gnu/libcuda.so.1"
};

// The cache's entries for this machine's native ABI, in the loader's search order. `origin`
// names the file in error messages. Hostile or truncated input fails cleanly.
base::Expected<std::vector<LdCacheEntry>> parse_ld_cache(std::string_view bytes,
                                                         std::string_view origin);

base::Expected<std::vector<LdCacheEntry>> read_ld_cache(const std::string& path);

}  // namespace gpu
