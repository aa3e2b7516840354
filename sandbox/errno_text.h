// "No such file or directory (errno 2)": how every sandbox error names a failed system call.
#pragma once

#include <cstring>
#include <string>

namespace sandbox {

inline std::string errno_text(int error) {
  return std::string(std::strerror(error)) + " (errno " + std::to_string(error) + ")";
}

}  // namespace sandbox
