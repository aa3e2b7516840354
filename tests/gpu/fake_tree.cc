#include "tests/gpu/fake_tree.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace gpu::testing {

namespace fs = std::filesystem;

FakeTree::FakeTree(const std::string& fixture) {
  char pattern[] = "/tmp/agentd-gpu-test-XXXXXX";
  if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
  root_ = pattern;
  ::chmod(root_.c_str(), 0755);  // sandboxes run as another uid and must reach the nodes
  if (!fixture.empty()) {
    fs::copy(std::string(AGENTD_FIXTURES_DIR) + "/gpu/" + fixture, root_,
             fs::copy_options::recursive);
  }
  fs::create_directories(root_ + "/dev");
}

FakeTree::~FakeTree() {
  std::error_code ignored;
  fs::remove_all(root_, ignored);
}

void FakeTree::write(const std::string& relative, const std::string& content) const {
  fs::create_directories(fs::path(path(relative)).parent_path());
  std::ofstream(path(relative)) << content;
}

void FakeTree::write_proc_devices() const {
  write("proc/devices", "Character devices:\n  1 mem\n" + std::to_string(kFakeNvidiaMajor) +
                            " nvidia-frontend\n" + std::to_string(kFakeUvmMajor) +
                            " nvidia-uvm\n\nBlock devices:\n  7 loop\n");
}

bool FakeTree::make_node(const std::string& name, uint32_t major, uint32_t minor) const {
  std::string node = path("dev/" + name);
  ::unlink(node.c_str());
  return ::mknod(node.c_str(), S_IFCHR | 0666, makedev(major, minor)) == 0 &&
         ::chmod(node.c_str(), 0666) == 0;
}

bool FakeTree::make_driver_nodes() const {
  write_proc_devices();
  return make_node("nvidiactl", kFakeNvidiaMajor, 255) &&
         make_node("nvidia-uvm", kFakeUvmMajor, 0) &&
         make_node("nvidia-uvm-tools", kFakeUvmMajor, 1) &&
         make_node("nvidia0", kFakeNvidiaMajor, 0) && make_node("nvidia1", kFakeNvidiaMajor, 1);
}

std::string fake_driver_dir(const std::string& subdir) {
  return std::string(FAKE_DRIVER_DIR) + "/" + subdir;
}

std::string build_ld_cache(const std::string& cache, const std::string& dirs) {
  const char* ldconfig = fs::exists("/sbin/ldconfig") ? "/sbin/ldconfig" : "/usr/sbin/ldconfig";
  if (!fs::exists(ldconfig)) return "ldconfig not found in /sbin or /usr/sbin";
  // -X: never touch the symlinks of the scanned directories; -f /dev/null: no ld.so.conf.
  std::string command =
      std::string(ldconfig) + " -X -f /dev/null -C '" + cache + "' " + dirs + " 2>&1";
  int status = std::system(command.c_str());
  return status == 0 ? "" : "`" + command + "` exited with status " + std::to_string(status);
}

}  // namespace gpu::testing
