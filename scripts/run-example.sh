#!/usr/bin/env bash
# Starts agentd from a built tree with a throwaway configuration, runs examples/word-count.json
# through it with agentctl (following its events), runs a snippet with exec.run, then two tasks
# on a repository (examples/repository made a git repository): best_of_n fixes its failing test
# and fan_out changes two files in parallel and merges them, each giving back a patch that
# `git apply` takes. Then it stops everything again. It exits 0 only when the tasks succeeded
# AND their sandboxes really ran (a canned answer from the scripted reducer is not a success),
# the exec.run snippet ran, and the patches apply; otherwise it says what failed.
#
#   scripts/run-example.sh [BUILD_DIR]        (default: build)
#
# The model: by default the scripted OpenAI-compatible test server (tests/fixtures/scripted_llm)
# with the canned answers in examples/scripted-llm.json, so the run needs no GPU, key or network.
# A real endpoint instead (any OpenAI-compatible server that supports tool calls):
#   AGENTD_DEMO_BASE_URL=https://api.openai.com/v1 AGENTD_DEMO_MODEL=gpt-4o-mini \
#   AGENTD_DEMO_API_KEY_ENV=OPENAI_API_KEY scripts/run-example.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
agentd="$build/daemon/agentd"
agentctl="$build/daemon/agentctl/agentctl"
for binary in "$agentd" "$agentctl"; do
  [ -x "$binary" ] || { echo "run-example.sh: $binary is not built" >&2; exit 2; }
done

dir=$(mktemp -d /tmp/agentd-example.XXXXXX)
llm_pid="" llm_repo_pid="" daemon_pid=""
cleanup() {
  # SIGTERM drains agentd: it finishes (or cancels) its tasks, flushes the journal, exits 0.
  if [ -n "$daemon_pid" ]; then kill -TERM "$daemon_pid" 2>/dev/null; wait "$daemon_pid" || true; fi
  for pid in "$llm_pid" "$llm_repo_pid"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$dir"
}
trap cleanup EXIT

if [ -z "${AGENTD_DEMO_BASE_URL:-}" ]; then
  mkfifo "$dir/llm.port"
  /usr/bin/python3 tests/fixtures/scripted_llm/server.py --script examples/scripted-llm.json \
    >"$dir/llm.port" 2>"$dir/llm.log" &
  llm_pid=$!
  read -r port <"$dir/llm.port" || true
  if [[ ! $port =~ ^[0-9]+$ ]]; then
    echo "run-example.sh: the scripted model server did not start:" >&2
    cat "$dir/llm.log" >&2
    exit 1
  fi
  base_url="http://127.0.0.1:$port/v1" model="demo" key_env=""
  echo "== model: the SCRIPTED test server on port $port (canned answers from examples/scripted-llm.json;"
  echo "   set AGENTD_DEMO_BASE_URL, AGENTD_DEMO_MODEL and AGENTD_DEMO_API_KEY_ENV for a real endpoint)"
else
  base_url="$AGENTD_DEMO_BASE_URL" model="${AGENTD_DEMO_MODEL:?set AGENTD_DEMO_MODEL too}"
  key_env="${AGENTD_DEMO_API_KEY_ENV:-}"
  echo "== model: $model at $base_url"
fi

# The repository tasks' coders, workers and merger are always scripted: some of their candidates
# are wrong on purpose, to show that the repository's tests, not the order of answers, choose.
mkfifo "$dir/llm-repo.port"
/usr/bin/python3 tests/fixtures/scripted_llm/server.py --script examples/scripted-llm-repo.json \
  >"$dir/llm-repo.port" 2>"$dir/llm-repo.log" &
llm_repo_pid=$!
read -r repo_port <"$dir/llm-repo.port" || true
if [[ ! $repo_port =~ ^[0-9]+$ ]]; then
  echo "run-example.sh: the scripted model server for the repository tasks did not start:" >&2
  cat "$dir/llm-repo.log" >&2
  exit 1
fi

token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
mkdir -m 0700 "$dir/ids" "$dir/workspaces"
cat >"$dir/agentd.json" <<EOF
{
  "listen": {"address": "", "unix": "$dir/agentd.sock"},
  "journal": {"path": "$dir/journal.db"},
  "models": [{"name": "demo", "base_url": "$base_url", "model": "$model",
              "api_key_env": "$key_env", "timeout": 300},
             {"name": "demo-repo", "base_url": "http://127.0.0.1:$repo_port/v1",
              "model": "demo-repo", "timeout": 300}],
  "tenants": [{"name": "demo", "token_sha256": "$(printf %s "$token" | sha256sum | cut -d' ' -f1)",
               "policies": ["*"], "repositories": ["$dir/repos/*"]}],
  "sandbox": {"id_lock_dir": "$dir/ids", "workspace_root": "$dir/workspaces"}
}
EOF
"$agentd" --check-config --config "$dir/agentd.json"
"$agentd" --config "$dir/agentd.json" 2>"$dir/agentd.log" &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$dir/agentd.sock" ] && break; sleep 0.1; done
[ -S "$dir/agentd.sock" ] || { cat "$dir/agentd.log" >&2; exit 1; }
echo "== agentd (pid $daemon_pid) serving on unix:$dir/agentd.sock"

export AGENTD_SERVER="unix:$dir/agentd.sock" AGENTD_TOKEN="$token"
echo
echo "== agentctl submit examples/word-count.json --follow"
status=0
"$agentctl" submit examples/word-count.json --follow | tee "$dir/events.log" || status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "run-example.sh: the task did not succeed (agentctl exited $status)" >&2
fi
sandbox_runs=$(grep -c ' sandbox\.result ' "$dir/events.log" || true)
sandbox_ok=$(grep ' sandbox\.result ' "$dir/events.log" | grep -c ' status=ok' || true)
if [ "$sandbox_runs" -eq 0 ] || [ "$sandbox_ok" -ne "$sandbox_runs" ]; then
  echo "run-example.sh: only $sandbox_ok of $sandbox_runs sandbox runs succeeded; the workers' code" \
       "did not really run. The failed runs:" >&2
  grep ' sandbox\.result ' "$dir/events.log" | grep -v ' status=ok' >&2 || true
  grep -E ' (tool\.result|agent\.error) ' "$dir/events.log" >&2 || true
  status=1
fi

echo
echo "== agentctl exec: untrusted Python under the coder policy, no LLM"
exec_status=0
"$agentctl" exec --policy coder --language python - <<'EOF' || exec_status=$?
import os, socket
print("uid", os.getuid(), "pid", os.getpid(), "host", socket.gethostname())
print("interfaces", [line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]])
for path in ("/etc/shadow", "/root", "/sys/kernel"):
    try:
        os.listdir(path) if os.path.isdir(path) else open(path).read()
        print(path, "readable")
    except OSError as e:
        print(path, "refused:", e.strerror)
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
except OSError as e:
    print("tcp to the host: refused:", e.strerror)
EOF
if [ "$exec_status" -ne 0 ]; then
  echo "run-example.sh: agentctl exec failed (exit $exec_status): the sandbox did not run the snippet" >&2
  status=1
fi

echo
echo "== repository tasks on examples/repository (a git repository with a failing test), always with"
echo "   the canned coders of examples/scripted-llm-repo.json: some are wrong on purpose"
repo_status=0
scripts/run-repository-example.sh "$agentctl" "$dir" || repo_status=$?
[ "$repo_status" -eq 0 ] || status=1
echo
if [ "$status" -eq 0 ]; then
  echo "== the example ran: $sandbox_ok sandboxes ran the workers' code, exec.run ran the snippet," \
       "and the repository tasks' patches apply"
fi
exit "$status"
