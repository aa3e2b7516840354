// How a failed system call reads in a message, and the Error that carries its errno.
#pragma once

#include <cstring>
#include <string>

#include "base/expected.h"

namespace base {

// "Permission denied (errno 13)".
inline std::string errno_text(int error) {
  return std::string(std::strerror(error)) + " (errno " + std::to_string(error) + ")";
}

// An Error for a failed call: "`what`: Permission denied (errno 13)", keeping the errno.
inline Error sys_error(const std::string& what, int error) {
  return Error{what + ": " + errno_text(error), 0, error};
}

}  // namespace base
