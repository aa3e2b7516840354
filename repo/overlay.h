// repo::OverlayMount: an agent's worktree as an overlay of the task's one checkout of the base
// commit (read-only, shared by every agent of the task) and a directory of the agent's own that
// holds only what it changed. Making one costs a mount instead of checking out every file
// (bench/worktrees), and a worktree's disk is what its agent changed. Needs CAP_SYS_ADMIN
// (the daemon as root); where mounting is refused, worktrees are checked out in full instead
// (agents/runtime/task_repository.cc).
//
// The overlay is mounted nosuid, nodev, without redirect_dir, metacopy or index: none of the
// features that let an upper directory's attributes steer what the overlay shows. Sandboxes
// see only the merged directory (their workspace bind), never the upper one.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/expected.h"

namespace repo {

class OverlayMount {
 public:
  // `lower` shown read-only under `upper` at `target`; `work` is overlayfs' scratch directory
  // (empty, on upper's filesystem). Paths with ',', ':' or '\' are refused (mount options).
  static base::Expected<OverlayMount> mount(const std::filesystem::path& lower,
                                            const std::filesystem::path& upper,
                                            const std::filesystem::path& work,
                                            const std::filesystem::path& target);

  OverlayMount(OverlayMount&& other) noexcept : target_(std::move(other.target_)) {
    other.target_.clear();
  }
  OverlayMount& operator=(OverlayMount&& other) noexcept;
  OverlayMount(const OverlayMount&) = delete;
  OverlayMount& operator=(const OverlayMount&) = delete;
  ~OverlayMount() { unmount(); }

  const std::filesystem::path& target() const { return target_; }

 private:
  explicit OverlayMount(std::filesystem::path target) : target_(std::move(target)) {}
  void unmount();

  std::filesystem::path target_;  // empty: moved from
};

// The mount points of every overlay mounted at or below `root`, as /proc/self/mountinfo lists
// them (outermost first); empty when it cannot be read.
std::vector<std::string> overlays_under(const std::filesystem::path& root);

// Unmounts every overlay mounted at or below `root` (a daemon that died left them): at start,
// before any task runs.
base::Status unmount_overlays_under(const std::filesystem::path& root);

}  // namespace repo
