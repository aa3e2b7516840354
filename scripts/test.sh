#!/usr/bin/env bash
# Builds what is missing and runs the whole test suite (unit, integration and security tests).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
as_root "$@"

configure_and_build
ctest --test-dir build --output-on-failure -j"$(test_jobs)"
