// Allocates and touches memory until the cgroup's OOM killer stops the process. Shared by the
// memory bomb and the cgroup escape program (which bombs after trying to leave its cgroup).
#pragma once

#include <stdlib.h>
#include <string.h>

#include "tests/security/c/hostile.h"

// Returns only if `cap_bytes` were allocated without being killed (the limit did not hold).
static inline void eat_memory(unsigned long long cap_bytes) {
  const size_t chunk = 1u << 20;
  unsigned long long total = 0;
  while (total < cap_bytes) {
    char* block = malloc(chunk);
    if (!block) {
      note("malloc failed after %llu MiB (not the cgroup OOM killer)", total >> 20);
      return;
    }
    memset(block, 0xA5, chunk);  // touch every page so it is really charged
    total += chunk;
  }
  escaped("memory limit", "allocated %llu MiB without being stopped", total >> 20);
}
