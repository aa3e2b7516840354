#include "gpu/ld_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "gpu/host_files.h"
#include "tests/gpu/fake_tree.h"

namespace gpu {
namespace {

using testing::build_ld_cache;
using testing::fake_driver_dir;
using testing::FakeTree;

const LdCacheEntry* find(const std::vector<LdCacheEntry>& entries, const std::string& soname) {
  auto found = std::find_if(entries.begin(), entries.end(),
                            [&](const LdCacheEntry& e) { return e.soname == soname; });
  return found == entries.end() ? nullptr : &*found;
}

TEST(LdCache, ReadsACacheLdconfigBuilt) {
  FakeTree tree("");
  std::string cache = tree.path("ld.so.cache");
  std::string problem = build_ld_cache(cache, fake_driver_dir("current"));
  if (!problem.empty()) GTEST_SKIP() << problem;
  auto entries = read_ld_cache(cache);
  ASSERT_TRUE(entries) << entries.error().message;
  const LdCacheEntry* libcuda = find(*entries, "libcuda.so.1");
  ASSERT_NE(libcuda, nullptr);
  EXPECT_EQ(libcuda->path, fake_driver_dir("current") + "/libcuda.so.1");
  ASSERT_NE(find(*entries, "libnvidia-nvvm.so.4"), nullptr);
  ASSERT_NE(find(*entries, std::string("libnvidia-gpucomp.so.") + FAKE_DRIVER_VERSION), nullptr);
  // The system's own libraries come along, as in any cache.
  EXPECT_NE(find(*entries, "libc.so.6"), nullptr);
}

TEST(LdCache, ReadsThisMachinesCache) {
  if (!std::filesystem::exists("/etc/ld.so.cache")) GTEST_SKIP() << "no /etc/ld.so.cache here";
  auto entries = read_ld_cache("/etc/ld.so.cache");
  ASSERT_TRUE(entries) << entries.error().message;
  EXPECT_NE(find(*entries, "libc.so.6"), nullptr);
}

// A cache with the given entries (flags, soname, path), as glibc lays it out.
std::string make_cache(const std::vector<std::tuple<int32_t, std::string, std::string>>& entries) {
  std::string header(48, '\0');
  std::memcpy(header.data(), "glibc-ld.so.cache1.1", 20);
  uint32_t count = static_cast<uint32_t>(entries.size());
  std::memcpy(header.data() + 20, &count, 4);
  header[28] = 2;  // little endian
  std::string table(entries.size() * 24, '\0');
  std::string strings;
  size_t strings_at = header.size() + table.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [flags, soname, path] = entries[i];
    uint32_t key = static_cast<uint32_t>(strings_at + strings.size());
    strings += soname + '\0';
    uint32_t value = static_cast<uint32_t>(strings_at + strings.size());
    strings += path + '\0';
    std::memcpy(table.data() + i * 24, &flags, 4);
    std::memcpy(table.data() + i * 24 + 4, &key, 4);
    std::memcpy(table.data() + i * 24 + 8, &value, 4);
  }
  return header + table + strings;
}

TEST(LdCache, KeepsOnlyNativeEntries) {
  auto bytes = make_cache({{0x0303, "libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1"},
                           {0x0003, "libcuda.so.1", "/usr/lib/i386-linux-gnu/libcuda.so.1"},
                           {0x0803, "libcuda.so.1", "/usr/libx32/libcuda.so.1"}});
  auto entries = parse_ld_cache(bytes, "test");
  ASSERT_TRUE(entries) << entries.error().message;
#if defined(__x86_64__)
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].path, "/usr/lib/x86_64-linux-gnu/libcuda.so.1");
#endif
}

TEST(LdCache, RefusesMalformedInputCleanly) {
  std::string good = make_cache({{0x0303, "libz.so.1", "/lib/libz.so.1"}});
  ASSERT_TRUE(parse_ld_cache(good, "good"));
  EXPECT_FALSE(parse_ld_cache("", "empty"));
  EXPECT_FALSE(parse_ld_cache("ld.so-1.7.0" + std::string(100, '\0'), "old format"));
  auto truncated = parse_ld_cache(good.substr(0, 60), "truncated");
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("truncated: claims 1 entries"), std::string::npos)
      << truncated.error().message;
  std::string unterminated = good.substr(0, good.size() - 1);
  EXPECT_FALSE(parse_ld_cache(unterminated, "unterminated"));
  std::string far = good;
  uint32_t past_end = 1u << 30;
  std::memcpy(far.data() + 48 + 8, &past_end, 4);
  auto bad_offset = parse_ld_cache(far, "far");
  ASSERT_FALSE(bad_offset);
  EXPECT_NE(bad_offset.error().message.find("past the end"), std::string::npos);
  std::string big_endian = good;
  big_endian[28] = 3;
  EXPECT_FALSE(parse_ld_cache(big_endian, "big endian"));
}

TEST(LdCache, MissingFileSaysSo) {
  auto entries = read_ld_cache("/nonexistent/ld.so.cache");
  ASSERT_FALSE(entries);
  EXPECT_NE(entries.error().message.find("/nonexistent/ld.so.cache: cannot open"),
            std::string::npos);
}

}  // namespace
}  // namespace gpu
