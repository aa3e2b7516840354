#!/usr/bin/env bash
# Installs every Debian package agentd needs to build, test and benchmark.
# Idempotent: packages already present are left alone; safe to run again.
set -euo pipefail

packages=(
  # toolchain
  build-essential g++ cmake ninja-build pkg-config git ca-certificates
  ccache                            # CMake compiles through it when present (cmake/AgentdBuild.cmake)
  clang libclang-rt-14-dev          # libFuzzer targets and sanitizers
  clang-format clang-tidy
  # libraries (DESIGN.md: Conventions)
  libboost1.81-dev                  # Asio/Beast with cancellation slots and parallel_group
  libseccomp-dev nlohmann-json3-dev libcurl4-openssl-dev libsqlite3-dev
  libsystemd-dev libssl-dev
  libjemalloc-dev                   # agentd's allocator (daemon/CMakeLists.txt says why)
  libgtest-dev libgmock-dev
  libgit2-dev                       # repository tasks: worktrees, commits, diffs (repo/)
  libexpat1-dev                     # JUnit XML reports of a repository's tests (repo/junit.cc)
  zlib1g-dev                        # a client bundle's pack sizes checked before indexing (repo/pack_scan.cc)
  # runtime and tests
  python3 python3-websockets iproute2 procps util-linux
  python3-pytest                    # repository tests' examples: a real runner writing JUnit XML
  bubblewrap                        # the peer in bench/sandbox_spawn
  systemd                           # systemd-analyze verify for the unit file
  nodejs                            # LangGraph.js, the peer in bench/fanout
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# NodeSource's nodejs ships npm itself and conflicts with Debian's npm package.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
