// A throwaway copy of a fixture tree from tests/fixtures/gpu, with the device nodes and
// /proc/devices a test wants (git cannot hold device nodes).
#pragma once

#include <cstdint>
#include <string>

namespace gpu::testing {

// Majors reserved for local use (Documentation/admin-guide/devices.txt) and outside the ranges
// the kernel hands out dynamically (234-254, 384-511: an NVIDIA driver's nvidia-uvm, -caps and
// -nvlink get 238-241 on an H200 machine): opening such a node reaches no real driver, so a
// sandbox that may open it gets ENXIO, one that may not, EPERM.
constexpr uint32_t kFakeNvidiaMajor = 120;
constexpr uint32_t kFakeUvmMajor = 121;

class FakeTree {
 public:
  // Copies tests/fixtures/gpu/<fixture> ("" for an empty tree) into a new directory in /tmp.
  explicit FakeTree(const std::string& fixture);
  ~FakeTree();
  FakeTree(const FakeTree&) = delete;
  FakeTree& operator=(const FakeTree&) = delete;

  const std::string& root() const { return root_; }
  std::string path(const std::string& relative) const { return root_ + "/" + relative; }
  void write(const std::string& relative, const std::string& content) const;
  // /proc/devices listing the fake majors as the NVIDIA driver names them.
  void write_proc_devices() const;
  // mknod <root>/dev/<name>; false (errno set) where this process may not create device nodes.
  bool make_node(const std::string& name, uint32_t major, uint32_t minor) const;
  // nvidiactl, nvidia-uvm, nvidia-uvm-tools, nvidia0 and nvidia1, plus /proc/devices.
  bool make_driver_nodes() const;

 private:
  std::string root_;
};

// The fake libraries' directories (built by tests/gpu/CMakeLists.txt).
std::string fake_driver_dir(const std::string& subdir);

// Runs ldconfig to build a linker cache at `cache` from `dirs` (in that order of preference);
// empty on success, else what went wrong.
std::string build_ld_cache(const std::string& cache, const std::string& dirs);

}  // namespace gpu::testing
