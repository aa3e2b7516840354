// sandbox::Spec: everything one sandboxed run needs, as plain data. The sandbox module knows
// nothing of agents or GPUs; other modules fill a Spec and the runner executes it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.h"

namespace sandbox {

namespace seccomp {
struct Filter;  // a compiled BPF program; see sandbox/seccomp.h
}

enum class MountType {
  ro_bind,  // host `source` at `target`, read-only, nosuid, nodev
  rw_bind,  // host `source` at `target`, writable, nosuid, nodev
  tmpfs,    // empty tmpfs of `size_bytes` at `target`
  proc,     // a fresh /proc for the sandbox's pid namespace
  dev,      // a minimal /dev: null, zero, full, random, urandom, tty, fd links, private shm
};

struct Mount {
  MountType type = MountType::tmpfs;
  std::string source;       // host path, for binds only
  std::string target;       // absolute path inside the sandbox
  uint64_t size_bytes = 0;  // tmpfs (and /dev/shm for `dev`) size; 0 means the default
};

// A host device node made visible inside (the GPU module adds NVIDIA nodes). The runner checks
// that the host node still has these numbers before binding it, and opens the device cgroup
// for exactly these nodes.
struct DeviceNode {
  std::string path;  // same path on the host and in the sandbox, e.g. /dev/nvidia0
  char type = 'c';   // 'c' character or 'b' block
  uint32_t major = 0;
  uint32_t minor = 0;
};

enum class NetworkMode {
  none,  // a fresh network namespace with only `lo` up
  host,  // the host's network; only when a caller asks for it explicitly
};

struct Limits {
  uint64_t memory_bytes = 512ull << 20;   // cgroup memory limit; swap is not allowed
  uint32_t pids = 64;                     // cgroup pids limit, all processes of the sandbox
  uint32_t cpu_millicores = 0;            // hard CPU cap (1000 = one core); 0 = no cap
  uint32_t cpu_weight = 100;              // relative CPU share, 1..10000 (cgroup v2 scale)
  std::chrono::milliseconds cpu_time{0};  // total CPU time of all processes; 0 = no limit
  std::chrono::milliseconds wall_time{10'000};
  uint64_t file_size_bytes = 64ull << 20;  // RLIMIT_FSIZE
  uint32_t open_files = 256;               // RLIMIT_NOFILE
  uint64_t stdout_bytes = 1ull << 20;      // captured at most; more stops the program
  uint64_t stderr_bytes = 1ull << 20;
};

// Which seccomp filter to load. A null filter means the built-in default profile; running
// with no filter at all must be asked for with `disabled`.
struct SeccompChoice {
  std::shared_ptr<const seccomp::Filter> filter;
  bool disabled = false;
};

// Where the program finds Spec::channel.
inline constexpr int kChannelFd = 4;

struct Spec {
  std::vector<std::string> argv;  // argv[0] is resolved against PATH inside the sandbox
  std::vector<std::string> env;   // "KEY=VALUE"; nothing is inherited from the host
  std::string workdir = "/";
  std::string stdin_data;
  std::vector<Mount> mounts;  // applied in order on an empty, finally read-only root
  std::vector<DeviceNode> devices;
  Limits limits;
  NetworkMode network = NetworkMode::none;
  SeccompChoice seccomp;
  std::string hostname = "agentbox";
  // A socket (or pipe) the program finds open at kChannelFd, e.g. one end of a socketpair
  // whose other end is another sandbox's channel: two sandboxes that talk only to each other.
  // Only the program and its children hold it: the sandbox's init closes its copy, so the
  // peer reads EOF as soon as they are gone.
  std::shared_ptr<const base::UniqueFd> channel;
};

// The mounts every sandbox needs to run ordinary programs: read-only /usr, /lib*, /bin, /sbin
// and a few /etc files, fresh /proc, minimal /dev, and a tmpfs /tmp.
std::vector<Mount> system_mounts();

// A Spec for `argv` with system_mounts(), a tmpfs /workspace as working directory, a plain
// PATH, and the safe default limits above.
Spec default_spec(std::vector<std::string> argv);

}  // namespace sandbox
