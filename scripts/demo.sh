#!/usr/bin/env bash
# README's first command: installs the Debian packages, builds, then runs the example task end
# to end (scripts/run-example.sh: agentd, agentctl, the scripted model, sandboxes).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
as_root "$@"

./scripts/setup.sh
configure_and_build
exec ./scripts/run-example.sh build
