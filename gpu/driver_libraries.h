// Choosing the driver's user-space libraries a CUDA program loads, from the linker cache, with
// the version of the running kernel driver (a libcuda from another driver version fails at
// cuInit, or worse, half works).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gpu/ld_cache.h"

namespace gpu {

struct DriverLibrary {
  std::string soname;  // "libcuda.so.1"
  std::string path;    // as the cache lists it, where the loader looks: the sandbox sees it here
  std::string file;    // the host file it resolves to, ".../libcuda.so.<driver version>"
};

struct LibrarySelection {
  std::vector<DriverLibrary> libraries;
  std::vector<std::string> skipped;  // entries passed over, and why
};

// For each wanted library, the first cache entry whose file resolves (through its symlinks) to
// a name ending in ".so.<driver_version>".
LibrarySelection select_driver_libraries(const std::vector<LdCacheEntry>& cache,
                                         std::string_view driver_version);

}  // namespace gpu
