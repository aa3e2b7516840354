#!/usr/bin/env bash
# The repository part of the demo (scripts/run-example.sh runs it against its agentd, with
# AGENTD_SERVER and AGENTD_TOKEN set): examples/repository becomes a git repository under DIR/repos,
# examples/repo-best-of-n.json fixes its failing test and examples/repo-fan-out.json changes two
# files in parallel and merges them; each patch must apply with `git apply` to the repository.
#
#   scripts/run-repository-example.sh AGENTCTL DIR
set -euo pipefail
cd "$(dirname "$0")/.."
agentctl="$1" dir="$2"
repo="$dir/repos/calc"
test_command='python3 -m pytest -q -p no:cacheprovider --junitxml={junit_xml}'
git_() { git -c user.name=demo -c user.email=demo@example.invalid -c init.defaultBranch=main "$@"; }

mkdir -p "$dir/repos"
cp -r examples/repository "$repo"
git_ init -q "$repo"
git_ -C "$repo" add -A
git_ -C "$repo" commit -q -m "calc: average (wrong), clamp"
echo "== $repo: $(git -C "$repo" log --oneline | head -1); its tests fail on purpose"

status=0
for example in repo-best-of-n repo-fan-out; do
  echo
  echo "== agentctl submit examples/$example.json --repo $repo --test '$test_command' --follow"
  task_status=0
  "$agentctl" submit "examples/$example.json" --repo "$repo" --test "$test_command" --follow \
    | tee "$dir/$example.log" || task_status=${PIPESTATUS[0]}
  task_id=$(grep -o 't-[0-9a-f]\{32\}' "$dir/$example.log" | head -1 || true)
  if [ "$task_status" -ne 0 ] || [ -z "$task_id" ]; then
    echo "run-repository-example.sh: $example did not succeed (agentctl exited $task_status)" >&2
    status=1
    continue
  fi
  "$agentctl" get "$task_id" --patch >"$dir/$example.patch"
  echo "== agentctl get $task_id --patch | git apply --check: $(wc -l <"$dir/$example.patch") lines"
  cat "$dir/$example.patch"
  if ! git -C "$repo" apply --check "$dir/$example.patch"; then
    echo "run-repository-example.sh: $example's patch does not apply to $repo" >&2
    status=1
  fi
done
echo
echo "== branches agentd made in $repo (the results' are kept until the tasks are pruned):"
git -C "$repo" branch --list 'agentd/*'
exit "$status"
