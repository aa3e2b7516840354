// Writes without end to stdout or stderr (argv[1]); the output cap must stop the program.
#include "tests/security/c/hostile.h"

int main(int argc, char** argv) {
  const int flood_fd = (argc > 1 && strcmp(argv[1], "stderr") == 0) ? 2 : 1;
  static char block[64 << 10];
  memset(block, 'A', sizeof block);
  const unsigned long long cap = 1ull << 30;  // 1 GiB safety cap
  unsigned long long total = 0;
  while (total < cap) {
    ssize_t written = write(flood_fd, block, sizeof block);
    if (written < 0) return 3;  // the reader went away: stopped, as expected
    total += (unsigned long long)written;
  }
  // Report on the other stream, whose cap was not used up.
  dprintf(flood_fd == 1 ? 2 : 1, "\nESCAPED output limit: wrote 1 GiB\n");
  return 1;
}
