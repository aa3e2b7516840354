#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and sanitizers and runs each for a bounded time.
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

CXX=clang++ CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAGENTD_FUZZ=ON -DAGENTD_BUILD_TESTS=OFF -DAGENTD_BUILD_BENCH=OFF >/dev/null

# target | dictionary | seed directories
targets=(
  "policies/policy_parser_fuzz|policies/fuzz/policy.dict|policies/fuzz/seeds policies/builtin|8192"
  "daemon/rpc_decoder_fuzz||daemon/fuzz/seeds|65536"
)

for entry in "${targets[@]}"; do
  IFS='|' read -r target dict seeds max_len <<<"$entry"
  name=$(basename "$target")
  cmake --build build-fuzz --target "$name" -j"$(nproc)"
  corpus=$(mktemp -d "/tmp/agentd-fuzz-$name.XXXXXX")  # writable corpus first: libFuzzer adds to it
  existing_seeds=()
  for dir in $seeds; do [ -d "$dir" ] && existing_seeds+=("$dir"); done
  echo "== fuzzing $name for ${seconds}s"
  "build-fuzz/$target" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    ${dict:+-dict="$dict"} "$corpus" "${existing_seeds[@]}"
  rm -rf "$corpus"
done
