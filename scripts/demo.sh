#!/usr/bin/env bash
# README's first command: installs the Debian packages, builds, then runs the example task end
# to end (scripts/run-example.sh: agentd, agentctl, the scripted model, sandboxes).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
as_root "$@"

./scripts/setup.sh
# Only what the example runs: the test suite and benchmarks are scripts/test.sh's to build.
configure_and_build agentd agentctl agentbox
exec ./scripts/run-example.sh build
