#include "gpu/driver_libraries.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <system_error>

namespace gpu {

namespace fs = std::filesystem;

namespace {

// Without ".so...", as libnvidia-container's compute and utility lists name them, minus
// graphics, video and OpenCL.
constexpr std::array<std::string_view, 11> kNames = {
    "libcuda",                    // the CUDA driver API
    "libnvidia-ml",               // NVML
    "libnvidia-ptxjitcompiler",   // PTX to SASS JIT, loaded by libcuda
    "libnvidia-nvvm",             // NVVM compiler, loaded by libcuda for JIT LTO
    "libnvidia-gpucomp",          // shared compiler library (drivers >= 535)
    "libcudadebugger",            // cuda-gdb's backend
    "libnvidia-fatbinaryloader",  // fatbin loader (drivers < 450)
    "libnvidia-allocator",        // allocator runtime
    "libnvidia-pkcs11",           // confidential computing
    "libnvidia-pkcs11-openssl3",  // confidential computing, OpenSSL 3
    "libnvidia-tileiras",         // Tile IR JIT (CUDA 13)
};

// "libcuda.so.1" belongs to "libcuda"; "libcudart.so.12" and "libcuda.so" (no version) do not.
bool is_versioned_soname_of(std::string_view soname, std::string_view name) {
  return soname.starts_with(name) && soname.substr(name.size()).starts_with(".so.");
}

}  // namespace

LibrarySelection select_driver_libraries(const std::vector<LdCacheEntry>& cache,
                                         std::string_view driver_version) {
  LibrarySelection selection;
  std::string suffix = ".so." + std::string(driver_version);
  std::error_code error;
  for (std::string_view name : kNames) {
    for (const auto& entry : cache) {
      if (!is_versioned_soname_of(entry.soname, name)) continue;
      bool chosen = std::any_of(selection.libraries.begin(), selection.libraries.end(),
                                [&](const DriverLibrary& l) { return l.soname == entry.soname; });
      if (chosen) continue;  // the loader takes the first; so do we
      fs::path file = fs::canonical(entry.path, error);
      if (error) {
        selection.skipped.push_back(entry.path + ": " + error.message());
      } else if (!file.filename().string().ends_with(suffix)) {
        selection.skipped.push_back(entry.path + ": is " + file.filename().string() +
                                    ", not of driver " + std::string(driver_version));
      } else {
        selection.libraries.push_back({entry.soname, entry.path, file.string()});
      }
    }
  }
  return selection;
}

}  // namespace gpu
