#include "agents/tools/workspace_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/errno_text.h"
#include "base/log.h"
#include "base/unique_fd.h"

namespace agents::tools {

namespace fs = std::filesystem;
using base::UniqueFd;

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

struct DirId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const DirId&) const = default;
};

// A directory being emptied: its name in its parent, which directory it is (to check that
// ".." leads back to it), and its subdirectories still to empty.
struct Level {
  std::string name;
  DirId id;
  std::vector<std::string> subdirs;
};

base::Error failed(const std::string& root, const std::string& call, const std::string& name,
                   int error) {
  return base::sys_error("remove " + root + ": " + call + " \"" + name + "\"", error);
}

std::vector<std::string> entry_names(DIR* dir) {
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  return names;
}

// Unlinks everything in the directory open at `fd` but its subdirectories, and returns the
// Level that still has those to empty.
base::Expected<Level> enter(int fd, std::string name, const std::string& root) {
  struct stat status {};
  if (::fstat(fd, &status) != 0) return failed(root, "fstat", name, errno);
  Level level{std::move(name), {status.st_dev, status.st_ino}, {}};
  // readdir needs a DIR of its own; `fd` stays the walk's.
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return failed(root, "dup", level.name, errno);
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(copy), &::closedir);
  if (!dir) {
    const int error = errno;
    ::close(copy);
    return failed(root, "fdopendir", level.name, error);
  }
  for (std::string& entry : entry_names(dir.get())) {
    if (::fstatat(fd, entry.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return failed(root, "fstatat", entry, errno);
    }
    if (S_ISDIR(status.st_mode))
      level.subdirs.push_back(std::move(entry));
    else if (::unlinkat(fd, entry.c_str(), 0) != 0 && errno != ENOENT)
      return failed(root, "unlinkat", entry, errno);
  }
  return level;
}

// Empties the directory open at `top`, depth first, holding one directory fd at a time: a
// subdirectory is entered by name beneath its parent's fd, and left through its ".." (checked
// to be the parent it was entered from) to be removed there.
base::Status empty_tree(UniqueFd top, const std::string& root) {
  auto first = enter(top.get(), root, root);
  if (!first) return first.error();
  std::vector<Level> levels;
  levels.push_back(std::move(*first));
  UniqueFd current = std::move(top);
  while (!levels.back().subdirs.empty() || levels.size() > 1) {
    Level& level = levels.back();
    if (level.subdirs.empty()) {
      UniqueFd up(::openat(current.get(), "..", kDirFlags));
      struct stat status {};
      if (!up || ::fstat(up.get(), &status) != 0) return failed(root, "open ..", level.name, errno);
      if (DirId{status.st_dev, status.st_ino} != levels[levels.size() - 2].id)
        return base::Error{"remove " + root + ": \"" + level.name +
                           "\" moved while it was removed"};
      if (::unlinkat(up.get(), level.name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        return failed(root, "rmdir", level.name, errno);
      levels.pop_back();
      current = std::move(up);
      continue;
    }
    std::string name = std::move(level.subdirs.back());
    level.subdirs.pop_back();
    UniqueFd child(::openat(current.get(), name.c_str(), kDirFlags));
    if (!child && errno == ENOENT) continue;
    if (!child && (errno == ENOTDIR || errno == ELOOP)) {  // no longer a directory: unlink it
      if (::unlinkat(current.get(), name.c_str(), 0) != 0 && errno != ENOENT)
        return failed(root, "unlinkat", name, errno);
      continue;
    }
    if (!child) return failed(root, "open", name, errno);
    auto entered = enter(child.get(), std::move(name), root);
    if (!entered) return entered.error();
    levels.push_back(std::move(*entered));
    current = std::move(child);
  }
  return base::Ok{};
}

}  // namespace

base::Status remove_tree(const fs::path& path) {
  const fs::path normal = path.lexically_normal();
  const fs::path target = normal.has_filename() ? normal : normal.parent_path();
  const std::string name = target.filename().string();
  const std::string parent = target.has_parent_path() ? target.parent_path().string() : ".";
  UniqueFd parent_fd(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!parent_fd && errno == ENOENT) return base::Ok{};
  if (!parent_fd) return base::sys_error("remove " + path.string() + ": open " + parent, errno);
  struct stat status {};
  if (::fstatat(parent_fd.get(), name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? base::Status(base::Ok{}) : failed(path, "fstatat", name, errno);
  if (!S_ISDIR(status.st_mode)) {
    if (::unlinkat(parent_fd.get(), name.c_str(), 0) != 0 && errno != ENOENT)
      return failed(path, "unlinkat", name, errno);
    return base::Ok{};
  }
  UniqueFd top(::openat(parent_fd.get(), name.c_str(), kDirFlags));
  if (!top) return failed(path, "open", name, errno);
  if (auto emptied = empty_tree(std::move(top), path.string()); !emptied) return emptied;
  if (::unlinkat(parent_fd.get(), name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    return failed(path, "rmdir", name, errno);
  return base::Ok{};
}

base::Expected<WorkspaceDir> WorkspaceDir::make(fs::path path, mode_t mode) {
  // Private until made, then opened up to `mode` (the umask may have narrowed it).
  if (::mkdir(path.c_str(), 0700) != 0) return base::sys_error("mkdir " + path.string(), errno);
  WorkspaceDir owned(std::move(path));  // from here, a failure removes what was made
  const UniqueFd dir(::open(owned.path_.c_str(), kDirFlags));
  if (!dir || ::fchmod(dir.get(), mode) != 0)
    return base::sys_error("chmod " + owned.path_.string(), errno);
  return owned;
}

WorkspaceDir::WorkspaceDir(WorkspaceDir&& other) noexcept
    : path_(std::exchange(other.path_, fs::path())) {}

WorkspaceDir& WorkspaceDir::operator=(WorkspaceDir&& other) noexcept {
  if (this != &other) {
    WorkspaceDir previous(std::move(*this));  // removed here, before taking `other`'s
    path_ = std::exchange(other.path_, fs::path());
  }
  return *this;
}

WorkspaceDir::~WorkspaceDir() {
  if (path_.empty()) return;
  if (auto removed = remove_tree(path_); !removed)
    base::log::warning() << "workspace not removed: " << removed.error().message;
}

fs::path WorkspaceDir::release() {
  return std::exchange(path_, fs::path());
}

}  // namespace agents::tools
