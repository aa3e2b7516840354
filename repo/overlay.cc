#include "repo/overlay.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace repo {

namespace fs = std::filesystem;

namespace {

bool plain_option_path(const fs::path& path) {
  return path.is_absolute() && path.native().find_first_of(",:\\") == std::string::npos;
}

// /proc/self/mountinfo escapes ' ', '\t', '\n' and '\\' as octal (\040).
std::string unescape_mountinfo(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

}  // namespace

base::Expected<OverlayMount> OverlayMount::mount(const fs::path& lower, const fs::path& upper,
                                                 const fs::path& work, const fs::path& target) {
  for (const fs::path* path : {&lower, &upper, &work, &target})
    if (!plain_option_path(*path))
      return base::Error{"overlay: " + path->string() +
                         ": expected an absolute path without ',', ':' or '\\'"};
  const std::string options = "lowerdir=" + lower.string() + ",upperdir=" + upper.string() +
                              ",workdir=" + work.string() +
                              ",redirect_dir=off,metacopy=off,index=off,xino=off";
  if (::mount("overlay", target.c_str(), "overlay", MS_NOSUID | MS_NODEV, options.c_str()) != 0)
    return base::Error{"mount overlay at " + target.string() + ": " + std::strerror(errno), 0,
                       errno};
  return OverlayMount(target);
}

OverlayMount& OverlayMount::operator=(OverlayMount&& other) noexcept {
  if (this != &other) {
    unmount();
    target_ = std::move(other.target_);
    other.target_.clear();
  }
  return *this;
}

void OverlayMount::unmount() {
  // Detached: a sandbox still holding the workspace keeps its own view until it ends.
  if (!target_.empty()) ::umount2(target_.c_str(), MNT_DETACH);
  target_.clear();
}

std::vector<std::string> overlays_under(const fs::path& root) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  const std::string prefix = root.lexically_normal().string();
  std::vector<std::string> found;
  for (std::string line; std::getline(mountinfo, line);) {
    // id parent major:minor root mount-point options ... - fstype source super-options
    std::istringstream fields(line);
    std::string id, parent, device, fs_root, mount_point;
    fields >> id >> parent >> device >> fs_root >> mount_point;
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "overlay ") != 0) continue;
    const std::string point = unescape_mountinfo(mount_point);
    if (point == prefix || point.rfind(prefix + "/", 0) == 0) found.push_back(point);
  }
  return found;
}

base::Status unmount_overlays_under(const fs::path& root) {
  if (!std::ifstream("/proc/self/mountinfo"))
    return base::Error{"reading /proc/self/mountinfo: " + std::string(std::strerror(errno))};
  const std::vector<std::string> targets = overlays_under(root);
  std::string failed;
  for (auto it = targets.rbegin(); it != targets.rend(); ++it)  // the deepest first
    if (::umount2(it->c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
      failed += " " + *it + " (" + std::strerror(errno) + ")";
  if (!failed.empty())
    return base::Error{"unmounting overlays left under " + root.string() + ":" + failed};
  return base::Ok{};
}

}  // namespace repo
