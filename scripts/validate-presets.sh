#!/usr/bin/env bash
# Renders every built-in preset (and the sops variant) with the release binary and judges each
# with scripts/validate-repo.sh. Exits non-zero if any is not fully clean.
# Usage: scripts/validate-presets.sh [PREFIX]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${1:-${IRONPLATE_VALIDATORS:-$root/target/validators}}
bash "$root/scripts/install-validators.sh" "$PREFIX" >/dev/null || exit 1
cargo build --quiet --release --manifest-path "$root/Cargo.toml" || exit 1
bin=$root/target/release/ironplate
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# age's documented example recipient: test input only.
sops_set=(--set secrets_backend=sops --set sops_age_recipient=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p)
status=0
for variant in default hetzner-ha example-org default-sops; do
  preset=${variant%-sops}; extra=()
  [ "$variant" = default-sops ] && extra=("${sops_set[@]}")
  out=$work/$variant
  XDG_CONFIG_HOME=$work/none "$bin" new "$out" --preset "$preset" --yes "${extra[@]}" >/dev/null || { status=1; continue; }
  echo "== $variant"
  bash "$root/scripts/validate-repo.sh" "$out" "$PREFIX" || status=1
done
exit $status
