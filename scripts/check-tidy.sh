#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: bugprone-*, performance-*) over every C++ file the build
# compiles, tests included, and fails on any finding. It reads its own compile database
# (build-tidy/, configured, never built) without precompiled headers or ccache: clang cannot
# read GCC's precompiled headers, and the database only needs the flags.
# usage: scripts/check-tidy.sh [FILE_REGEX]   (default: every source file of the project)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-tidy -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAGENTD_PCH=OFF \
  -DAGENTD_CCACHE=OFF >/dev/null
files="${1:-^$(pwd)/(base|sandbox|gpu|policies|repo|agents|daemon|tests|bench)/.*\.cc$}"
# The database holds g++'s flags; clang does not know some of its warnings (-Wno-maybe-...).
if ! run-clang-tidy-14 -p build-tidy -quiet -j"$(nproc)" -extra-arg=-Wno-unknown-warning-option "$files" \
  >build-tidy/findings.txt 2>&1; then
  # Each finding once (a header's is reported by every file that includes it), without colours.
  sed 's/\x1b\[[0-9;]*m//g' build-tidy/findings.txt | grep -E '(error|warning): ' | sort -u >&2 ||
    cat build-tidy/findings.txt >&2
  echo "check-tidy: clang-tidy found the problems above (full output: build-tidy/findings.txt)" >&2
  exit 1
fi
if (($#)); then
  echo "check-tidy: no findings in the files matching $1"
else
  echo "check-tidy: no findings in the $(grep -c '"file"' build-tidy/compile_commands.json) files compiled"
fi
