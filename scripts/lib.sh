# Shared by the scripts in this folder; sourced, not run.

# Sandboxes need root: id maps onto a reserved uid range and per-sandbox cgroups.
as_root() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      exec sudo -E "$0" "$@"
    fi
    echo "$(basename "$0"): needs root (user namespace id maps and cgroups); run it as root" >&2
    exit 1
  fi
}

# Configures build/ once, then builds the given targets (default: everything).
configure_and_build() {
  if [ ! -f build/build.ninja ]; then
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  fi
  local targets=()
  (($#)) && targets=(--target "$@")
  cmake --build build -j"$(nproc)" "${targets[@]}"
}

# Sandbox tests are mostly waiting on the kernel; two per core keeps the machine busy.
test_jobs() { echo $(( $(nproc) * 2 )); }
