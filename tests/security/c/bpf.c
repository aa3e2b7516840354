// Creates an eBPF map and loads a trivial socket-filter program.
#include <linux/bpf.h>
#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

static long create_map(void) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 8;
  attr.max_entries = 1;
  return syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
}

static long load_program(void) {
  struct bpf_insn program[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
      {.code = BPF_JMP | BPF_EXIT},
  };
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insn_cnt = 2;
  attr.insns = (unsigned long)program;
  attr.license = (unsigned long)"GPL";
  return syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
}

int main(void) {
  ATTEMPT_PERM("bpf map create", create_map());
  ATTEMPT_PERM("bpf prog load", load_program());
  return finish();
}
