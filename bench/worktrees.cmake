# bench/worktrees: 32 agent worktrees (repo::Repository, libgit2) of a generated 10,000-file
# repository against 32 `git clone`s of it (needs the git CLI).
add_executable(worktrees worktrees.cc)
target_link_libraries(worktrees PRIVATE repo Threads::Threads agentd_warnings)
