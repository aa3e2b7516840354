#include "agents/tools/workspace.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "agents/tools/workspace_path.h"
#include "policies/tool_scope.h"
#include "policies/workspace_path.h"

namespace agents::tools {
namespace {

using base::Error;
using base::UniqueFd;
using policies::Tool;
using policies::WorkspacePath;

constexpr size_t kReadChunk = size_t{64} * 1024;

// Paths come from a model: quote a bounded, printable form of them.
std::string printable(std::string_view path) {
  std::string text(path.substr(0, 200));
  std::replace_if(
      text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }, '?');
  return path.size() > 200 ? text + "…" : text;
}

// `sys_errno` lets a caller tell a missing file (ENOENT) from other failures.
Error fail(Tool tool, const WorkspacePath& path, const std::string& why, int sys_errno = 0) {
  return Error{
      std::string(policies::to_string(tool)) + ": \"" + printable(path.relative()) + "\": " + why,
      0, sys_errno};
}

// The refusal reads as the policy check's does (both come from WorkspacePath::parse).
Error refuse(Tool tool, const Error& unparsable) {
  return Error{std::string(policies::to_string(tool)) + ": " + unparsable.message};
}

// Reads at most `limit` bytes; `more` tells whether the file goes on past them.
base::Expected<std::string> read_up_to(int fd, uint64_t limit, bool& more) {
  std::string data;
  more = false;
  while (true) {
    const uint64_t want = data.size() < limit ? std::min<uint64_t>(kReadChunk, limit - data.size())
                                              : 1;  // one byte past the cap: is there more?
    const size_t old_size = data.size();
    data.resize(old_size + want);
    const ssize_t got = ::read(fd, data.data() + old_size, want);
    if (got < 0 && errno == EINTR) {
      data.resize(old_size);
      continue;
    }
    if (got < 0) return Error{describe_errno(errno, "read")};
    data.resize(old_size + static_cast<size_t>(got));
    if (got == 0) return data;
    if (data.size() > limit) {
      data.resize(limit);
      more = true;
      return data;
    }
  }
}

base::Status write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return Error{describe_errno(errno, "write")};
    content.remove_prefix(static_cast<size_t>(written));
  }
  return base::Ok{};
}

// A temporary file that is unlinked unless committed (renamed into place).
class TempFile {
 public:
  TempFile(int dir_fd, std::string name, UniqueFd fd)
      : dir_fd_(dir_fd), name_(std::move(name)), fd_(std::move(fd)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    fd_.reset();
    if (!committed_) ::unlinkat(dir_fd_, name_.c_str(), 0);
  }
  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  base::Status close() {
    if (::close(fd_.release()) != 0) return Error{describe_errno(errno, "close")};
    return base::Ok{};
  }
  void commit() { committed_ = true; }

 private:
  int dir_fd_;
  std::string name_;
  UniqueFd fd_;
  bool committed_ = false;
};

base::Expected<std::unique_ptr<TempFile>> create_temp(int dir_fd) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    uint64_t random = 0;
    if (::getrandom(&random, sizeof random, 0) != sizeof random) {
      return Error{describe_errno(errno, "getrandom")};
    }
    char name[40];
    std::snprintf(name, sizeof name, ".agentd-tmp-%016llx",
                  static_cast<unsigned long long>(random));
    const int fd = open_beneath(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd == -EEXIST) continue;
    if (fd < 0) return Error{"creating a temporary file: " + describe_errno(-fd, "openat2")};
    return std::make_unique<TempFile>(dir_fd, name, UniqueFd(fd));
  }
  return Error{"could not pick an unused temporary file name"};
}

// A replaced file keeps its permission bits (an edited script stays executable) and, unless
// the workspace names an owner, its owner (so the sandbox that made it can still write it).
base::Status keep_attributes(int fd, const struct stat& replaced, bool keep_owner) {
  // A daemon that is not root cannot give files away; then the file is simply its own.
  if (keep_owner && ::fchown(fd, replaced.st_uid, replaced.st_gid) != 0 && errno != EPERM) {
    return Error{describe_errno(errno, "fchown")};
  }
  if (::fchmod(fd, replaced.st_mode & 0777) != 0) return Error{describe_errno(errno, "fchmod")};
  return base::Ok{};
}

DirEntry::Kind kind_of(mode_t mode) {
  if (S_ISREG(mode)) return DirEntry::Kind::file;
  if (S_ISDIR(mode)) return DirEntry::Kind::directory;
  if (S_ISLNK(mode)) return DirEntry::Kind::symlink;
  return DirEntry::Kind::other;
}

}  // namespace

base::Expected<Workspace> Workspace::open(const std::string& directory, WorkspaceOptions options) {
  UniqueFd root(::open(directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) {
    return Error{"workspace: open(\"" + directory + "\"): " + std::strerror(errno) + " (errno " +
                 std::to_string(errno) + ")"};
  }
  // Fail here, with a clear message, on kernels without openat2 rather than on every call.
  const int probe = open_beneath(root.get(), ".", O_PATH | O_DIRECTORY);
  if (probe < 0) {
    return Error{"workspace: \"" + directory + "\": " + describe_errno(-probe, "openat2")};
  }
  ::close(probe);
  return Workspace(std::move(root), options);
}

base::Expected<FileContent> Workspace::read_file(std::string_view path) const {
  const auto parsed = WorkspacePath::parse(path);
  if (!parsed) return refuse(Tool::read_file, parsed.error());
  return read_file(*parsed);
}

base::Expected<FileContent> Workspace::read_file(const WorkspacePath& path) const {
  if (path.is_root()) return fail(Tool::read_file, path, "names the workspace, not a file");
  const int fd = open_beneath(root_.get(), path.relative(),
                              O_RDONLY | O_NOCTTY | O_NONBLOCK);  // a FIFO must not block us
  if (fd < 0) return fail(Tool::read_file, path, describe_errno(-fd, "openat2"), -fd);
  const UniqueFd file(fd);
  struct stat status {};
  if (::fstat(file.get(), &status) != 0) {
    return fail(Tool::read_file, path, describe_errno(errno, "fstat"));
  }
  if (!S_ISREG(status.st_mode)) return fail(Tool::read_file, path, "not a regular file");
  FileContent content;
  content.size = static_cast<uint64_t>(status.st_size);
  auto data = read_up_to(file.get(), options_.max_read_bytes, content.truncated);
  if (!data) return fail(Tool::read_file, path, data.error().message);
  content.data = std::move(*data);
  return content;
}

base::Status Workspace::write_file(std::string_view path, std::string_view content) const {
  const auto parsed = WorkspacePath::parse(path);
  if (!parsed) return refuse(Tool::write_file, parsed.error());
  return write_file(*parsed, content);
}

base::Status Workspace::write_file(const WorkspacePath& path, std::string_view content) const {
  if (content.size() > options_.max_write_bytes) {
    return fail(Tool::write_file, path,
                "content is " + std::to_string(content.size()) + " bytes; the limit is " +
                    std::to_string(options_.max_write_bytes));
  }
  if (path.is_root()) return fail(Tool::write_file, path, "names the workspace, not a file");
  auto dir = make_parents(path);
  if (!dir) return dir.error();
  const std::string leaf(path.segments().back());
  struct stat existing {};
  const bool exists = ::fstatat(dir->get(), leaf.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && S_ISLNK(existing.st_mode)) {
    return fail(Tool::write_file, path,
                "is a symbolic link (symlinks are not followed or replaced)");
  }
  auto temp = create_temp(dir->get());
  if (!temp) return fail(Tool::write_file, path, temp.error().message);
  TempFile& file = **temp;
  base::Status status = write_all(file.fd(), content);
  if (status) status = give_to_owner(file.fd());
  if (status && exists && S_ISREG(existing.st_mode))
    status = keep_attributes(file.fd(), existing, !options_.owner_uid && !options_.owner_gid);
  if (status) status = file.close();
  if (!status) return fail(Tool::write_file, path, status.error().message);
  // rename replaces the target in one step and never follows a symlink at the target.
  if (::renameat(dir->get(), file.name().c_str(), dir->get(), leaf.c_str()) != 0) {
    return fail(Tool::write_file, path, describe_errno(errno, "renameat"));
  }
  file.commit();
  return base::Ok{};
}

base::Status Workspace::remove_file(const WorkspacePath& path) const {
  if (path.is_root()) return fail(Tool::write_file, path, "names the workspace, not a file");
  const std::vector<std::string_view> segments = path.segments();
  std::string parent;
  for (size_t i = 0; i + 1 < segments.size(); ++i)
    parent += (i ? "/" : "") + std::string(segments[i]);
  const int fd = open_beneath(root_.get(), parent.empty() ? "." : parent, O_PATH | O_DIRECTORY);
  if (fd < 0) return fail(Tool::write_file, path, describe_errno(-fd, "openat2"), -fd);
  const UniqueFd dir(fd);
  const std::string leaf(segments.back());
  struct stat existing {};
  if (::fstatat(dir.get(), leaf.c_str(), &existing, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail(Tool::write_file, path, describe_errno(errno, "fstatat"), errno);
  }
  if (!S_ISREG(existing.st_mode)) return fail(Tool::write_file, path, "not a regular file");
  if (::unlinkat(dir.get(), leaf.c_str(), 0) != 0) {
    return fail(Tool::write_file, path, describe_errno(errno, "unlinkat"), errno);
  }
  return base::Ok{};
}

base::Expected<UniqueFd> Workspace::make_parents(const WorkspacePath& path) const {
  const int root = open_beneath(root_.get(), ".", O_PATH | O_DIRECTORY);
  if (root < 0) return fail(Tool::write_file, path, describe_errno(-root, "openat2"));
  UniqueFd dir(root);
  const std::vector<std::string_view> segments = path.segments();
  std::string partial;  // the segments up to this one, to say where a failure happened
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const std::string name(segments[i]);
    partial += (i == 0 ? "" : "/") + name;
    const bool created = ::mkdirat(dir.get(), name.c_str(), 0755) == 0;
    if (!created && errno != EEXIST) {
      return fail(Tool::write_file, path, partial + ": " + describe_errno(errno, "mkdirat"));
    }
    const int next = open_beneath(dir.get(), name, O_PATH | O_DIRECTORY);
    if (next < 0)
      return fail(Tool::write_file, path, partial + ": " + describe_errno(-next, "openat2"));
    dir.reset(next);
    if (created) {
      if (auto owned = give_to_owner(dir.get()); !owned) {
        return fail(Tool::write_file, path, partial + ": " + owned.error().message);
      }
    }
  }
  return dir;
}

base::Status Workspace::give_to_owner(int fd) const {
  if (!options_.owner_uid && !options_.owner_gid) return base::Ok{};
  const uid_t uid = options_.owner_uid.value_or(static_cast<uid_t>(-1));
  const gid_t gid = options_.owner_gid.value_or(static_cast<gid_t>(-1));
  if (::fchownat(fd, "", uid, gid, AT_EMPTY_PATH) != 0) {
    return Error{describe_errno(errno, "fchownat")};
  }
  return base::Ok{};
}

base::Expected<Listing> Workspace::list_files(std::string_view path) const {
  const auto parsed = WorkspacePath::parse(path);
  if (!parsed) return refuse(Tool::list_files, parsed.error());
  return list_files(*parsed);
}

base::Expected<Listing> Workspace::list_files(const WorkspacePath& path) const {
  const int fd = open_beneath(root_.get(), path.relative(), O_RDONLY | O_DIRECTORY | O_NONBLOCK);
  if (fd < 0) return fail(Tool::list_files, path, describe_errno(-fd, "openat2"));
  Listing listing;
  const std::string prefix = path.is_root() ? "" : path.str() + "/";
  if (auto listed = list_into(fd, prefix, 0, listing); !listed) {
    return fail(Tool::list_files, path, listed.error().message);
  }
  std::sort(listing.entries.begin(), listing.entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.path < b.path; });
  return listing;
}

// Takes ownership of `dir_fd`. Entries that vanish or turn into symlinks while we walk (a
// sandbox may be changing its workspace) are skipped, never followed.
base::Status Workspace::list_into(int dir_fd, const std::string& prefix, unsigned depth,
                                  Listing& listing) const {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(dir_fd), &::closedir);
  if (!dir) {
    const int error = errno;
    ::close(dir_fd);
    return Error{prefix + ": " + describe_errno(error, "fdopendir")};
  }
  const size_t room = options_.max_list_entries - listing.entries.size();
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (names.size() == room) {
      listing.truncated = true;  // bounded memory however many files a sandbox made
      break;
    }
    names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (listing.entries.size() >= options_.max_list_entries) {
      listing.truncated = true;
      return base::Ok{};
    }
    struct stat status {};
    if (::fstatat(::dirfd(dir.get()), name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) continue;
    const auto kind = kind_of(status.st_mode);
    const uint64_t size = kind == DirEntry::Kind::file ? static_cast<uint64_t>(status.st_size) : 0;
    listing.entries.push_back(DirEntry{prefix + name, kind, size});
    if (kind != DirEntry::Kind::directory) continue;
    if (depth + 1 >= options_.max_list_depth) {
      listing.truncated = true;
      continue;
    }
    const int child = open_beneath(::dirfd(dir.get()), name, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    if (child == -ENOENT || child == -ELOOP || child == -ENOTDIR) continue;  // changed meanwhile
    if (child < 0) return Error{prefix + name + ": " + describe_errno(-child, "openat2")};
    if (auto listed = list_into(child, prefix + name + "/", depth + 1, listing); !listed) {
      return listed;
    }
  }
  return base::Ok{};
}

}  // namespace agents::tools
