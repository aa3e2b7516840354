#include "gpu/ld_cache.h"

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "gpu/host_files.h"

namespace gpu {

namespace {

// glibc's sysdeps/generic/dl-cache.h: a 48-byte header, then 24-byte entries, then strings;
// string offsets count from the start of the file.
constexpr std::string_view kMagic = "glibc-ld.so.cache1.1";
constexpr size_t kHeaderSize = 48;
constexpr size_t kEntrySize = 24;
constexpr size_t kCountOffset = 20;
constexpr size_t kEndianOffset = 28;

constexpr int32_t kFlagElfLibc6 = 0x0003;
constexpr int32_t kFlagTypeMask = 0x00ff;
constexpr int32_t kFlagRequiredMask = 0xff00;
#if defined(__x86_64__)
constexpr int32_t kNativeRequired = 0x0300;  // FLAG_X8664_LIB64
#elif defined(__aarch64__)
constexpr int32_t kNativeRequired = 0x0a00;  // FLAG_AARCH64_LIB64
#else
#error "gpu/ld_cache.cc: add this architecture's ld.so.cache FLAG_*_LIB64 value"
#endif

template <class T>
T load(std::string_view bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

base::Expected<std::string> string_at(std::string_view bytes, uint32_t offset,
                                      std::string_view origin) {
  if (offset >= bytes.size()) {
    return base::Error{std::string(origin) + ": string offset " + std::to_string(offset) +
                       " lies past the end of the file (" + std::to_string(bytes.size()) +
                       " bytes)"};
  }
  size_t end = bytes.find('\0', offset);
  if (end == std::string_view::npos) {
    return base::Error{std::string(origin) + ": string at offset " + std::to_string(offset) +
                       " is not NUL-terminated"};
  }
  return std::string(bytes.substr(offset, end - offset));
}

}  // namespace

base::Expected<std::vector<LdCacheEntry>> parse_ld_cache(std::string_view bytes,
                                                         std::string_view origin) {
  std::string where(origin);
  if (bytes.size() < kHeaderSize || !bytes.starts_with(kMagic)) {
    return base::Error{where + ": not a glibc ld.so.cache in the \"" + std::string(kMagic) +
                       "\" format (expected what ldconfig of glibc >= 2.32 writes)"};
  }
  uint8_t endian = load<uint8_t>(bytes, kEndianOffset);
  constexpr uint8_t kNativeEndian = std::endian::native == std::endian::little ? 2 : 3;
  if (endian != 0 && endian != kNativeEndian) {
    return base::Error{where + ": written for the other byte order"};
  }
  uint32_t count = load<uint32_t>(bytes, kCountOffset);
  if (count > (bytes.size() - kHeaderSize) / kEntrySize) {
    return base::Error{where + ": claims " + std::to_string(count) + " entries but holds " +
                       std::to_string(bytes.size()) + " bytes"};
  }
  std::vector<LdCacheEntry> entries;
  for (uint32_t i = 0; i < count; ++i) {
    size_t at = kHeaderSize + size_t{i} * kEntrySize;
    auto flags = load<int32_t>(bytes, at);
    uint64_t hwcap = load<uint64_t>(bytes, at + 16);
    // Only plain native entries: no 32-bit or x32 ABI, no glibc-hwcaps subdirectory variant.
    if ((flags & kFlagTypeMask) != kFlagElfLibc6 ||
        (flags & kFlagRequiredMask) != kNativeRequired || hwcap != 0) {
      continue;
    }
    auto soname = string_at(bytes, load<uint32_t>(bytes, at + 4), origin);
    if (!soname) return soname.error();
    auto path = string_at(bytes, load<uint32_t>(bytes, at + 8), origin);
    if (!path) return path.error();
    entries.push_back({std::move(soname.value()), std::move(path.value())});
  }
  return entries;
}

base::Expected<std::vector<LdCacheEntry>> read_ld_cache(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) {
    int error = errno;
    return base::Error{path + ": cannot open the linker cache: " + std::strerror(error) +
                       " (errno " + std::to_string(error) + ")"};
  }
  return parse_ld_cache(*bytes, path);
}

}  // namespace gpu
