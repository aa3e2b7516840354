// Building JSON pointers (RFC 6901) for error messages, so that every reader of untrusted JSON
// names a bad value the same way and a client can resolve the path it is sent: a key is
// appended as one reference token, never quoted, with "~" and "/" escaped so that a key
// containing them still names exactly one member.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace base {

// "/spec" + "a/b~c" → "/spec/a~1b~0c"; "" is the whole document, so "" + "x" → "/x".
inline std::string json_pointer_append(std::string_view pointer, std::string_view key) {
  std::string out(pointer);
  out.reserve(out.size() + key.size() + 1);
  out += '/';
  for (char c : key) {
    // Escaping character by character keeps a literal "~1" in a key as "~01", which a reader
    // turns back into "~1" and not into "/".
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

// An array element: "/tests" + 2 → "/tests/2".
inline std::string json_pointer_append(std::string_view pointer, size_t index) {
  return std::string(pointer) + "/" + std::to_string(index);
}

}  // namespace base
