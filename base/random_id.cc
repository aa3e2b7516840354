#include "base/random_id.h"

#include <sys/random.h>

#include <vector>

namespace base {

std::string random_id(const char* prefix, size_t bytes) {
  std::vector<unsigned char> random(bytes);
  size_t filled = 0;
  // getrandom only fails here when interrupted: try again.
  while (filled < bytes) {
    const ssize_t n = ::getrandom(random.data() + filled, bytes - filled, 0);
    if (n > 0) filled += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = prefix;
  for (unsigned char byte : random) {
    id += kHex[byte >> 4];
    id += kHex[byte & 15];
  }
  return id;
}

}  // namespace base
