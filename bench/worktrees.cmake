# bench/worktrees: 32 agent worktrees made as agentd makes them (agents::runtime::TaskRepository:
# overlays of one checkout where it may mount) of a generated 10,000-file repository, against
# full checkouts, `git clone`s and `cp -r` of it (needs the git CLI).
add_executable(worktrees
  worktrees.cc
  worktrees_agentd.cc
  worktrees_checks.cc
  worktrees_common.cc
  worktrees_disk.cc
  worktrees_peers.cc
  worktrees_repo.cc)
target_include_directories(worktrees PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(worktrees PRIVATE agentd::agents repo Threads::Threads agentd_warnings)
