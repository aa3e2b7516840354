#!/usr/bin/env bash
# GPU passthrough check for a machine with an NVIDIA GPU (issue 6).
#
#   scripts/gpu-check.sh --pack [BUILD_DIR]   on the development machine: copies what the check
#                                             needs, stripped (~5 MB), to build-gpu-check/
#   scripts/gpu-check.sh [BUILD_DIR]          on the GPU machine; BUILD_DIR: default
#                                             build-gpu-check, build-gpu, then build
#
# With the device tool: run `scripts/gpu-check.sh --pack` here, then run
# `scripts/gpu-check.sh build-gpu-check` there with carry ["build-gpu-check"].
#
# Self-contained: it needs this working tree, a build directory made on the development machine
# and carried along (agentd-gpu, gpu_test), and the machine's NVIDIA driver. It installs
# nothing and reaches no network. It builds the CUDA probe with the machine's nvcc when there is
# one, runs the probe directly and in a sandbox, checks that a sandbox without a grant cannot
# open any NVIDIA device (and, with two GPUs, that one granted GPU 1 cannot open GPU 0), lets
# four agents contend for the GPUs through leases, runs exec.run through agentd under a policy
# that grants a GPU and under one that does not, runs the gpu, daemon GPU and sandbox unit tests
# and the security suite on that machine's kernel and cgroups (a GPU machine is often the only
# cgroup v2 host with controllers at hand), and prints every figure, the sandbox/direct ratios
# (target: at most 2% slower inside) and a summary. About a minute on 16 cores.
# Exit status: the number of failed steps. With $OUT set (the device tool's
# output folder) the whole log is also written to $OUT/gpu-check.log.
# shellcheck disable=SC2317  # the step functions are called through step()
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The carried build must stay under the device tool's 64 MiB: stripped binaries, the fake
# driver libraries and NVML the unit tests use, the two paths compiled into them, and the shared
# libraries the binaries load apart from glibc and the compiler's runtime (a GPU machine's image
# may lack libseccomp, libcurl, SQLite, ...; only those it lacks are used there).
if [[ ${1:-} == --pack ]]; then
  from=$(cd "${2:-$repo/build-gpu}" && pwd) || exit 1
  to=$repo/build-gpu-check
  rm -rf "$to" && mkdir -p "$to/lib" || exit 1
  binaries=(gpu/agentd-gpu tests/gpu/gpu_test tests/daemon/daemon_gpu_test daemon/agentd
            daemon/agentctl/agentctl sandbox/agentbox tests/sandbox/sandbox_test)
  for binary in "${binaries[@]}"; do
    mkdir -p "$to/$(dirname "$binary")" && strip -o "$to/$binary" "$from/$binary" || exit 1
  done
  [[ -x $from/gpu/agentd-gpu-probe ]] && cp "$from/gpu/agentd-gpu-probe" "$to/gpu/"
  cp -a "$from/tests/gpu/fake-driver" "$from/tests/gpu/libfake-nvml.so" "$to/tests/gpu/" || exit 1
  tar -C "$from/tests/security" -cJf "$to/security-bin.tar.xz" bin || exit 1
  ldd "${binaries[@]/#/$from/}" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
    grep -vE '/(libc|libm|libpthread|libdl|librt|libresolv|libstdc\+\+|libgcc_s)\.so' |
    xargs -r cp -L -t "$to/lib" || exit 1
  grep -E '^CMAKE_(HOME_DIRECTORY|CACHEFILE_DIR):INTERNAL=' "$from/CMakeCache.txt" >"$to/CMakeCache.txt"
  du -sh "$to"
  echo "carry build-gpu-check and run: scripts/gpu-check.sh build-gpu-check"
  exit 0
fi

build=${1:-}
if [[ -z $build ]]; then
  for candidate in "$repo/build-gpu-check" "$repo/build-gpu" "$repo/build"; do
    if [[ -x $candidate/gpu/agentd-gpu ]]; then build=$candidate; break; fi
  done
fi
build=$(cd "${build:-$repo/build-gpu}" 2>/dev/null && pwd || echo "${build:-$repo/build-gpu}")
log_writer=
if [[ -n ${OUT:-} && -d ${OUT:-} ]]; then
  exec > >(tee "$OUT/gpu-check.log") 2>&1
  log_writer=$!
fi

# Sandboxes run as an unprivileged host uid: whatever they bind must be world-readable.
work=$(mktemp -d /tmp/agentd-gpu-check-XXXXXX)
chmod 755 "$work"
delegated=
home_cgroup=
# On exit: remove the scratch folder and the cgroup made below, and let tee finish the log
# before the tool collects it.
finish() {
  rm -rf "$work"
  if [[ -n $delegated ]]; then
    echo $$ >"$home_cgroup/cgroup.procs"
    find "$delegated" -depth -type d -exec rmdir {} + 2>/dev/null ||
      echo "could not remove $delegated (a process still in it?)"
  fi
  if [[ -n $log_writer ]]; then
    exec >&- 2>&-
    wait "$log_writer" 2>/dev/null
  fi
}
trap finish EXIT
tool=$work/agentd-gpu
probe=$work/agentd-gpu-probe
ld_cache_args=()
results=()
failures=0

section() { printf '\n=== %s\n' "$*"; }

# limit SECONDS COMMAND...: every program runs under a time limit, so the check always ends.
limit() {
  timeout --kill-after=10 "$@"
  local rc=$?
  ((rc == 124 || rc == 137)) && echo "(stopped after $1 s: $2)"
  return "$rc"
}

# step NAME COMMAND...: records PASS (exit 0), SKIP (exit 2) or FAIL.
step() {
  local name=$1
  shift
  section "$name"
  local started=$SECONDS
  "$@"
  local rc=$?
  local verdict=FAIL
  if ((rc == 0)); then verdict=PASS; elif ((rc == 2)); then verdict=SKIP; fi
  [[ $verdict == FAIL ]] && failures=$((failures + 1))
  results+=("$verdict $name (exit $rc, $((SECONDS - started)) s)")
  return 0
}

environment() {
  echo "repo: $repo"
  echo "build: $build"
  uname -a
  grep -E '^(PRETTY_NAME)=' /etc/os-release 2>/dev/null
  ldd --version 2>/dev/null | head -1
  echo "cpus: $(nproc); cgroup: $(stat -fc %T /sys/fs/cgroup 2>/dev/null)"
  echo "this shell's cgroup: $(tr '\n' ' ' </proc/self/cgroup)"
  echo "cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers 2>&1);" \
       "subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control 2>&1)"
  echo "user.max_user_namespaces: $(cat /proc/sys/user/max_user_namespaces 2>&1)"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=index,name,uuid,pci.bus_id,driver_version,memory.total,persistence_mode \
      --format=csv
  else
    echo "nvidia-smi: not installed"
  fi
  ls -l /dev/nvidia* 2>&1
  cat /proc/driver/nvidia/version 2>&1
  ls /proc/driver/nvidia/gpus 2>&1
  grep -i nvidia /proc/devices
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  ldconfig -p | grep -E 'lib(cuda|nvidia-ml|nvidia-ptxjitcompiler|nvidia-nvvm)\.so' ||
    echo "(no driver library in the linker cache /etc/ld.so.cache)"
  command -v nvcc >/dev/null && nvcc --version | tail -2
  return 0
}

# Sandboxes need memory, pids and cpu delegated to the cgroup their runner starts in (systemd's
# Delegate=yes does that for agentd.service). Where this shell's cgroup v2 lacks them and there
# is no service manager to ask (a VM's own cgroup, say), root makes a cgroup at the hierarchy's
# root, which offers them, and moves this shell into it; it is removed at exit.
delegate_cgroup() {
  if [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]]; then
    echo "cgroup v1: the sandboxes' hierarchies need no delegation"
    return 0
  fi
  home_cgroup=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
  local controllers
  controllers=$(cat "$home_cgroup/cgroup.controllers")
  if [[ " $controllers " == *" memory "* && " $controllers " == *" pids "* &&
        " $controllers " == *" cpu "* ]]; then
    echo "this shell's cgroup $home_cgroup offers memory, pids and cpu: using it"
    return 0
  fi
  echo "this shell's cgroup $home_cgroup offers only: ${controllers:-nothing}"
  ((EUID == 0)) || { echo "only root can make a cgroup with them here"; return 1; }
  delegated=/sys/fs/cgroup/agentd-gpu-check-$$
  mkdir "$delegated" && echo $$ >"$delegated/cgroup.procs" || return 1
  echo "moved this shell into $delegated, which offers: $(cat "$delegated/cgroup.controllers")"
}

# Only the libraries this machine lacks come from the carried lib/ folder, through links in a
# folder of their own, so nothing else here (nvcc, nvidia-smi) loads the carried copies.
carried_libraries() {
  [[ -d $build/lib ]] || { echo "no carried lib/ folder: using this machine's libraries"; return 0; }
  local dir=$work/lib missing lib
  mkdir -p "$dir"
  for _ in 1 2 3; do
    missing=$(for binary in "$build"/gpu/agentd-gpu "$build"/daemon/agentd "$build"/tests/*/*_test; do
                [[ -x $binary ]] && LD_LIBRARY_PATH=$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ldd "$binary"
              done | awk '/not found/ {print $1}' | sort -u)
    [[ -z $missing ]] && break
    for lib in $missing; do
      if [[ -e $build/lib/$lib ]]; then ln -sf "$build/lib/$lib" "$dir/$lib"; else echo "not carried: $lib"; fi
    done
  done
  echo "taken from the carried build: $(cd "$dir" && echo *)"
  export LD_LIBRARY_PATH=$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
}

binaries() {
  local missing=0
  for binary in "$build/gpu/agentd-gpu" "$build/tests/gpu/gpu_test"; do
    if [[ ! -x $binary ]]; then
      echo "missing: $binary (build it on the development machine: cmake --build BUILD --target agentd-gpu gpu_test)"
      missing=1
      continue
    fi
    if ldd "$binary" | grep 'not found'; then
      echo "$binary: shared libraries missing here (see above)"
      missing=1
    fi
  done
  ((missing)) && return 1
  # Built against glibc 2.36 (mount_setattr): an older glibc cannot load them.
  limit 30 "$build/tests/gpu/gpu_test" --gtest_list_tests >/dev/null ||
    { echo "gpu_test does not run here"; return 1; }
  install -m 755 "$build/gpu/agentd-gpu" "$tool"
  # The selftest runs as `agentd gpu selftest`; its sandboxes run agentd itself (open-check).
  [[ -x $build/daemon/agentd ]] && install -m 755 "$build/daemon/agentd" "$work/agentd"
  limit 30 "$tool" list --no-nvml >/dev/null || { echo "agentd-gpu does not run here"; return 1; }
  echo "agentd-gpu and gpu_test load and run"
}

# The probe is built here with this machine's nvcc for this machine's GPU; without nvcc, the
# carried build's probe (sm_75..sm_90 plus PTX) is used.
build_probe() {
  if command -v nvcc >/dev/null; then
    local source=$repo/gpu/probe/gpu_probe.cu
    echo "nvcc -O2 -std=c++17 -arch=native $source"
    if limit 180 nvcc -O2 -std=c++17 -arch=native -o "$probe" "$source"; then
      echo "built $probe for this GPU"
      return 0
    fi
    echo "-arch=native failed; building for sm_90 with PTX"
    limit 180 nvcc -O2 -std=c++17 -gencode arch=compute_90,code=sm_90 \
      -gencode arch=compute_90,code=compute_90 -o "$probe" "$source" && return 0
  fi
  if [[ -x $build/gpu/agentd-gpu-probe ]]; then
    install -m 755 "$build/gpu/agentd-gpu-probe" "$probe"
    echo "no working nvcc here: using the carried $build/gpu/agentd-gpu-probe"
    return 0
  fi
  echo "no nvcc and no carried agentd-gpu-probe"
  return 1
}

# Passthrough finds the driver libraries through a linker cache. Where the driver's folder is
# only on LD_LIBRARY_PATH (as with /usr/local/nvidia in some images), build a cache that lists
# it; sandboxes then get that cache as their /etc/ld.so.cache.
linker_cache() {
  if ldconfig -p | grep -q 'libcuda\.so\.1 '; then
    echo "libcuda.so.1 is in /etc/ld.so.cache: using it"
    return 0
  fi
  local dirs=()
  local IFS=:
  for dir in ${LD_LIBRARY_PATH:-} /usr/local/nvidia/lib64 /usr/local/nvidia/lib \
             /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/cuda/compat; do
    [[ -n $dir && -e $dir/libcuda.so.1 ]] && dirs+=("$dir")
  done
  unset IFS
  if ((${#dirs[@]} == 0)); then
    echo "libcuda.so.1 found neither in the linker cache nor in LD_LIBRARY_PATH or the usual folders"
    return 1
  fi
  echo "libcuda.so.1 is not in /etc/ld.so.cache; building $work/ld.so.cache with ${dirs[*]}"
  ldconfig -X -C "$work/ld.so.cache" "${dirs[@]}" || return 1
  chmod 644 "$work/ld.so.cache"
  ld_cache_args=(--ld-cache "$work/ld.so.cache")
  ldconfig -p -C "$work/ld.so.cache" | grep -E 'lib(cuda|nvidia-ml)\.so'
}

gpu_count() { limit 60 "$tool" list --json "${ld_cache_args[@]}" | grep -c '"bus_id"'; }

list() { limit 60 "$tool" list "${ld_cache_args[@]}" "$@"; }

probe_directly() {
  echo "$probe (outside any sandbox, all GPUs visible)"
  limit 120 "$probe"
}

# Its lines also go to a log, from which the figures are gathered at the end.
selftest() {
  local command=("$tool")
  [[ -x $work/agentd ]] && command=("$work/agentd" gpu)
  echo "${command[*]} selftest"
  limit 300 "${command[@]}" selftest --probe "$probe" --staging-dir "$work/staging" \
    "${ld_cache_args[@]}" "$@" | tee -a "$work/selftest.log"
  return "${PIPESTATUS[0]}"
}

second_gpu() {
  local count
  count=$(gpu_count)
  if ((count < 2)); then
    echo "SKIP this machine has $count GPU(s): the granted-GPU-1-cannot-open-GPU-0 check needs two"
    return 2
  fi
  selftest --gpu 1
}

contention() {
  limit 300 "$tool" contend --agents 4 --probe "$probe" --max-wait-ms 120000 \
    --staging-dir "$work/staging" "${ld_cache_args[@]}"
}

# The daemon end to end: exec.run under gpu-coder (one exclusive GPU) must see its GPU and
# initialise CUDA through the bound driver; under coder (no grant) there is no NVIDIA device.
daemon_grant() {
  local agentd=$build/daemon/agentd agentctl=$build/daemon/agentctl/agentctl
  if [[ ! -x $agentd || ! -x $agentctl ]]; then
    echo "SKIP agentd or agentctl is not in $build (scripts/gpu-check.sh --pack carries them)"
    return 2
  fi
  local dir=$work/daemon token=gpu-check-token ld_cache=/etc/ld.so.cache
  ((${#ld_cache_args[@]})) && ld_cache=${ld_cache_args[1]}
  mkdir -p "$dir/ids" "$dir/workspaces" && chmod 711 "$dir" "$dir/workspaces" || return 1
  cat >"$dir/agentd.json" <<CONFIG
{"listen": {"address": "", "unix": "$dir/agentd.sock"},
 "journal": {"path": "$dir/journal.db"},
 "models": [{"name": "none", "base_url": "http://127.0.0.1:9/v1", "model": "none"}],
 "tenants": [{"name": "check", "policies": ["*"],
              "token_sha256": "$(printf %s "$token" | sha256sum | cut -d' ' -f1)"}],
 "sandbox": {"id_lock_dir": "$dir/ids", "workspace_root": "$dir/workspaces"},
 "gpu": {"ld_cache": "$ld_cache", "staging_dir": "$dir/staging"}}
CONFIG
  limit 30 "$agentd" --check-config --config "$dir/agentd.json" || return 1
  timeout --kill-after=10 300 "$agentd" --config "$dir/agentd.json" 2>"$dir/agentd.log" &
  local pid=$! rc=0
  for _ in $(seq 100); do [[ -S $dir/agentd.sock ]] && break; sleep 0.1; done
  local ctl=("$agentctl" --server "unix:$dir/agentd.sock" --token "$token")
  local code granted ungranted
  code=$(cat <<'CODE'
ls /dev/ | grep -i nvidia || echo "no NVIDIA device"
command -v python3 >/dev/null || echo "no python3 in the sandbox: cannot try cuInit"
python3 -c 'import ctypes; c = ctypes.CDLL("libcuda.so.1"); n = ctypes.c_int(); print("cuInit", c.cuInit(0)); c.cuDeviceGetCount(ctypes.byref(n)); print("devices", n.value)' 2>&1 | tail -2
CODE
)
  limit 30 "${ctl[@]}" info | grep -iA3 gpu
  echo "-- exec.run under gpu-coder"
  granted=$(limit 120 "${ctl[@]}" exec --policy gpu-coder --language bash - <<<"$code" 2>&1)
  echo "$granted"
  grep -q "cuInit 0" <<<"$granted" && grep -q "devices 1" <<<"$granted" || rc=1
  echo "-- exec.run under coder (no grant)"
  ungranted=$(limit 120 "${ctl[@]}" exec --policy coder --language bash - <<<"$code" 2>&1)
  echo "$ungranted"
  grep -q "no NVIDIA device" <<<"$ungranted" && ! grep -q "cuInit 0" <<<"$ungranted" || rc=1
  kill -TERM "$pid" && wait "$pid"
  if ((rc)); then
    echo "agentd's log:"
    tail -20 "$dir/agentd.log"
  fi
  return "$rc"
}

# gpu_test has the development machine's paths compiled in (fixtures, fake libraries, the
# tool): make them resolve here with symlinks where nothing else lives at those paths.
unit_tests() {
  local cache=$build/CMakeCache.txt source_then build_then
  source_then=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$cache" 2>/dev/null)
  build_then=$(sed -n 's/^CMAKE_CACHEFILE_DIR:INTERNAL=//p' "$cache" 2>/dev/null)
  for pair in "$source_then=$repo" "$build_then=$build"; do
    local old=${pair%%=*} new=${pair#*=}
    [[ -z $old || -e $old ]] && continue
    echo "linking $old -> $new (paths compiled into gpu_test)"
    mkdir -p "$(dirname "$old")" && ln -s "$new" "$old"
  done
  if [[ ! -d $source_then/tests/fixtures/gpu || ! -d $build_then/tests/gpu ]]; then
    echo "SKIP gpu_test: its compiled-in paths $source_then and $build_then do not resolve here"
    return 2
  fi
  # Sandboxes (an unprivileged host uid) must reach the fixtures and the tool.
  local dir perm
  for dir in "$build" "$repo"; do
    while [[ $dir != / ]]; do
      perm=$(stat -c %a "$dir")
      if ((!(${perm: -1} & 1))); then
        echo "making $dir traversable (o+x) for sandboxes"
        chmod o+x "$dir"
      fi
      dir=$(dirname "$dir")
    done
  done
  ((${#ld_cache_args[@]})) && export AGENTD_TEST_LD_CACHE=${ld_cache_args[1]}
  limit 240 "$build/tests/gpu/gpu_test" --gtest_brief=1
}

# The daemon's GPU grant tests, among them the two that use this machine's GPU through agentd.
daemon_gpu_tests() {
  [[ -x $build/tests/daemon/daemon_gpu_test ]] || { echo "SKIP daemon_gpu_test was not carried"; return 2; }
  limit 300 "$build/tests/daemon/daemon_gpu_test" --gtest_brief=1
}

# The sandbox tests on this machine's cgroup hierarchy (cgroup v2 with controllers, where the
# development machine has only v1).
sandbox_tests() {
  [[ -x $build/tests/sandbox/sandbox_test ]] || { echo "SKIP sandbox_test was not carried"; return 2; }
  limit 300 "$build/tests/sandbox/sandbox_test" --gtest_brief=1
}

# The security suite's cases (tests/security/cases.json) through the carried agentbox, six at a
# time, the CPU-time cases alone afterwards (as ctest runs them).
security_suite() {
  local archive=$build/security-bin.tar.xz
  [[ -f $archive ]] || { echo "SKIP the security programs were not carried"; return 2; }
  [[ -x /usr/bin/python3 ]] || { echo "SKIP the suite's runner needs /usr/bin/python3"; return 2; }
  mkdir -p "$work/security" && tar -C "$work/security" -xJf "$archive" || return 1
  local cases
  cases=$(/usr/bin/python3 -c 'import json, sys
print("\n".join(c["name"] for c in json.load(open(sys.argv[1]))["cases"]))' \
    "$repo/tests/security/cases.json") || return 1
  run_case() {
    timeout 90 /usr/bin/python3 "$repo/tests/security/run_case.py" --agentbox "$build/sandbox/agentbox" \
      --bin "$work/security/bin" --work "$work/security/$1" "$1" >"$work/security/$1.log" 2>&1
    echo "$? $1"
  }
  export -f run_case
  export repo build work
  {
    grep -vE 'cpu_spin|cpu_time|fork_bomb' <<<"$cases" | xargs -P 6 -I{} bash -c 'run_case {}'
    grep -E 'cpu_spin|cpu_time|fork_bomb' <<<"$cases" | xargs -P 1 -I{} bash -c 'run_case {}'
  } >"$work/security/results"
  local failed
  failed=$(awk '$1 != 0 && $1 != 77 {print $2}' "$work/security/results")
  echo "$(wc -l <"$work/security/results") cases: $(grep -c '^0 ' "$work/security/results") passed," \
       "$(grep -c '^77 ' "$work/security/results") skipped"
  for name in $failed; do echo "--- FAIL $name"; tail -8 "$work/security/$name.log"; done
  [[ -z $failed ]]
}

step "environment" environment
step "a cgroup with memory, pids and cpu for the sandboxes" delegate_cgroup
step "shared libraries this machine lacks" carried_libraries
step "binaries from $build" binaries
if [[ ! -x $tool ]]; then
  section "summary"
  printf '%s\n' "${results[@]}"
  echo "agentd-gpu cannot run here; nothing else to check"
  exit 1
fi
step "build the CUDA probe with nvcc" build_probe
step "driver libraries in a linker cache" linker_cache
step "discovery (agentd-gpu list)" list
section "discovery as JSON"
list --json
step "probe outside any sandbox" probe_directly
step "selftest on GPU 0: isolation, probe in a sandbox, 3 rounds compared with direct runs" \
  selftest --compare --rounds 3
step "selftest on GPU 1: granted GPU 1 cannot open GPU 0" second_gpu
step "4 agents contending for the GPUs through leases" contention
step "through agentd: exec.run with and without a GPU grant" daemon_grant
step "unit tests (gpu_test)" unit_tests
step "daemon GPU tests (daemon_gpu_test)" daemon_gpu_tests
step "sandbox tests on this machine's cgroups (sandbox_test)" sandbox_tests
step "security suite on this machine's kernel and cgroups" security_suite

section "figures (sandbox vs direct; slowdown x1.02 = 2% slower inside)"
grep -hE '^(PASS|FAIL|INFO) (d2d_copy|vector_add_kernel|launch_sync|context_init|probe)' \
  "$work/selftest.log" 2>/dev/null || echo "(no probe figures: see the selftest steps above)"
section "summary"
printf '%s\n' "${results[@]}"
echo "failed steps: $failures"
exit "$failures"
