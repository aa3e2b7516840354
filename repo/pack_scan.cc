#include "repo/pack_scan.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

namespace repo {
namespace {

constexpr size_t kPackHeaderBytes = 12;
constexpr size_t kTrailerBytes = 20;  // sha1 of everything before it
constexpr size_t kBaseIdBytes = 20;   // a REF_DELTA's base object id
constexpr int kOfsDelta = 6, kRefDelta = 7;
constexpr unsigned kMaxShift = 56;  // a size beyond 2^63 is hostile anyway

base::Error damaged(size_t offset, const std::string& what) {
  return base::Error{"bundle: the packfile is damaged at byte " + std::to_string(offset) + ": " +
                     what + " (expected the pack `git bundle create` writes)"};
}

// zlib's inflate state, ended on every path.
class Inflater {
 public:
  Inflater() { ok_ = inflateInit(&stream_) == Z_OK; }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() {
    if (ok_) inflateEnd(&stream_);
  }
  bool ok() const { return ok_; }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

class PackWalker {
 public:
  PackWalker(std::string_view pack, const PackSizeLimits& limits)
      : pack_(pack.substr(0, pack.size() - kTrailerBytes)), limits_(limits) {}

  base::Status walk(uint32_t objects) {
    if (!inflater_.ok()) return base::Error{"bundle: zlib could not start"};
    at_ = kPackHeaderBytes;
    for (uint32_t i = 0; i < objects; ++i)
      if (auto s = object(); !s) return s;
    if (at_ != pack_.size())
      return damaged(at_, std::to_string(pack_.size() - at_) +
                              " bytes between the last object and the checksum");
    return base::Ok{};
  }

 private:
  std::optional<unsigned char> next_byte() {
    if (at_ >= pack_.size()) return std::nullopt;
    return static_cast<unsigned char>(pack_[at_++]);
  }

  base::Status object() {
    const size_t start = at_;
    auto byte = next_byte();
    if (!byte) return damaged(start, "the pack ends before all its objects");
    const int type = (*byte >> 4) & 7;
    uint64_t size = *byte & 15;
    for (unsigned shift = 4; *byte & 0x80; shift += 7) {
      byte = next_byte();
      if (!byte || shift > kMaxShift) return damaged(start, "an object's size is cut or too long");
      size |= uint64_t{*byte & 0x7fu} << shift;
    }
    if (type == 0 || type == 5 || type > kRefDelta)
      return damaged(start, "object type " + std::to_string(type));
    if (auto s = skip_delta_base(type, start); !s) return s;
    if (auto s = count(size, start); !s) return s;
    return inflate_object(size, type == kOfsDelta || type == kRefDelta, start);
  }

  base::Status skip_delta_base(int type, size_t start) {
    if (type == kRefDelta) {
      if (pack_.size() - at_ < kBaseIdBytes) return damaged(start, "a delta's base id is cut");
      at_ += kBaseIdBytes;
    } else if (type == kOfsDelta) {
      uint64_t offset = 0;
      std::optional<unsigned char> byte;
      for (unsigned shift = 0; !byte || *byte & 0x80; shift += 7) {
        byte = next_byte();
        if (!byte || shift > kMaxShift) return damaged(start, "a delta's base offset is cut");
        offset = ((offset + (shift ? 1 : 0)) << (shift ? 7 : 0)) | (*byte & 0x7fu);
      }
      if (offset == 0 || offset > start) return damaged(start, "a delta's base is not before it");
    }
    return base::Ok{};
  }

  base::Status count(uint64_t size, size_t start) {
    if (size > limits_.max_object_bytes)
      return base::Error{"bundle: the packfile has an object of " + std::to_string(size) +
                         " bytes (at byte " + std::to_string(start) + "); at most " +
                         std::to_string(limits_.max_object_bytes) + " are accepted"};
    total_ += size;
    if (total_ > limits_.max_inflated_bytes)
      return base::Error{"bundle: the packfile's objects come to more than " +
                         std::to_string(limits_.max_inflated_bytes) +
                         " bytes unpacked; at most that many are accepted"};
    return base::Ok{};
  }

  // Inflates one object's zlib stream (its bytes thrown away), which must end at exactly `size`
  // bytes. A delta's result size, at the start of its data, is counted too.
  base::Status inflate_object(uint64_t size, bool delta, size_t start) {
    z_stream& stream = inflater_.stream();
    inflateReset(&stream);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(pack_.data() + at_));
    stream.avail_in = static_cast<uInt>(std::min<size_t>(pack_.size() - at_, UINT32_MAX));
    unsigned char out[1 << 16];
    int status = Z_OK;
    bool first_chunk = true;
    while (status == Z_OK) {
      stream.next_out = out;
      stream.avail_out = sizeof out;
      status = inflate(&stream, Z_NO_FLUSH);
      if (stream.total_out > size) return damaged(start, "an object is longer than it declares");
      const size_t produced = sizeof out - stream.avail_out;
      if (delta && first_chunk && produced > 0) {
        first_chunk = false;
        if (auto s = count_delta_result({reinterpret_cast<char*>(out), produced}, start); !s)
          return s;
      }
      if (status == Z_OK && produced == 0 && stream.avail_in == 0)
        return damaged(start, "the pack ends inside an object");
    }
    if (status != Z_STREAM_END || stream.total_out != size)
      return damaged(start, "an object's compressed data is corrupt or ends early");
    at_ = static_cast<size_t>(reinterpret_cast<const char*>(stream.next_in) - pack_.data());
    return base::Ok{};
  }

  // A delta starts with two sizes: its base's, then its result's (what the indexer allocates).
  base::Status count_delta_result(std::string_view data, size_t start) {
    size_t at = 0;
    uint64_t sizes[2] = {0, 0};
    for (uint64_t& size : sizes) {
      unsigned char byte = 0x80;
      for (unsigned shift = 0; byte & 0x80; shift += 7) {
        if (at >= data.size() || shift > kMaxShift)
          return damaged(start, "a delta's sizes are cut");
        byte = static_cast<unsigned char>(data[at++]);
        size |= uint64_t{byte & 0x7fu} << shift;
      }
    }
    return count(sizes[1], start);
  }

  std::string_view pack_;
  const PackSizeLimits& limits_;
  Inflater inflater_;
  size_t at_ = 0;
  uint64_t total_ = 0;
};

uint32_t object_count(std::string_view pack) {
  uint32_t value = 0;
  for (char byte : pack.substr(8, 4)) value = (value << 8) | static_cast<unsigned char>(byte);
  return value;
}

}  // namespace

base::Status scan_pack_sizes(std::string_view pack, const PackSizeLimits& limits) {
  if (pack.size() < kPackHeaderBytes + kTrailerBytes)
    return damaged(0, "the pack is shorter than its header and checksum");
  return PackWalker(pack, limits).walk(object_count(pack));
}

}  // namespace repo
