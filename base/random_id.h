// Unguessable identifiers (task ids, exec.run workspace names, the test harness's report secret,
// JUnit report names) from the kernel's CSPRNG.
#pragma once

#include <cstddef>
#include <string>

namespace base {

// `prefix` followed by 2 * `bytes` lower-case hex digits.
std::string random_id(const char* prefix, size_t bytes);

}  // namespace base
