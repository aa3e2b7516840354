// Allocates and touches memory without end; the memory cgroup must OOM-kill it.
#include "tests/security/c/memory_eater.h"

int main(void) {
  note("memory bomb: allocating 1 MiB chunks and touching every page");
  eat_memory(2ull << 30);  // 2 GiB safety cap: far above any limit a case sets
  return finish();
}
