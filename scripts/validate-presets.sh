#!/usr/bin/env bash
# Renders every built-in preset (and the sops and external-secrets + sonarcloud variants) with
# the release binary and judges each with scripts/validate-repo.sh. Exits non-zero if any is not fully clean.
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
for variant in default hetzner-ha example-org default-sops default-eso-sonar; do
  preset=$variant; extra=()
  case $variant in
    default-sops) preset=default; extra=("${sops_set[@]}") ;;
    default-eso-sonar) preset=default; extra=(--set secrets_backend=external-secrets --set sonarcloud=true) ;;
  esac
  out=$work/$variant
  XDG_CONFIG_HOME=$work/none "$bin" new "$out" --preset "$preset" --yes "${extra[@]}" >/dev/null || { status=1; continue; }
  echo "== $variant"
  bash "$root/scripts/validate-repo.sh" "$out" "$PREFIX" || status=1
done
# The real 0.1.0 -> current upgrade of every built-in preset's repo, the owner's edits first.
shared=$root/../shared/validators
for preset in default hetzner-ha example-org; do
  out=$work/upgraded-$preset
  XDG_CONFIG_HOME=$work/none "$bin" new "$out" --preset "$preset" --yes --template-version 0.1.0 >/dev/null || { status=1; continue; }
  # What owners do: a bigger volume, one more model, a local ignore, their own intro.
  sed -i 's/storage: "\{0,1\}20Gi"\{0,1\}$/storage: 30Gi/; s/storage: "\{0,1\}50Gi"\{0,1\}$/storage: 80Gi/' "$out/k8s/apps/litellm-db/postgres.yaml"
  sed -i 's|^    model_list:$|    model_list:\n      - model_name: gpt-4.1\n        litellm_params:\n          model: openai/gpt-4.1\n          api_key: os.environ/OPENAI_API_KEY|' "$out/k8s/apps/litellm/configmap.yaml"
  printf '.idea/\n' >> "$out/.gitignore"
  sed -i '2a\
Maintained by the platform team.' "$out/README.md"
  echo "== upgraded-$preset (0.1.0 -> current, owner edits kept)"
  XDG_CONFIG_HOME=$work/none "$bin" upgrade "$out" || { echo "upgrade failed"; status=1; continue; }
  grep -q 'storage: 30Gi\|storage: 80Gi' "$out/k8s/apps/litellm-db/postgres.yaml" &&
    grep -q 'model: openai/gpt-4.1' "$out/k8s/apps/litellm/configmap.yaml" &&
    grep -q '^\.idea/$' "$out/.gitignore" && grep -q 'Maintained by the platform team' "$out/README.md" ||
    { echo "owner edits lost"; status=1; }
  bash "$root/scripts/validate-repo.sh" "$out" "$PREFIX" || status=1
  # The third-party verdict as the project's owners give it, when ../shared is beside us.
  if [ -f "$shared/validate.sh" ]; then
    bash "$shared/install.sh" >/dev/null 2>&1 || { echo "../shared/validators/install.sh failed"; status=1; }
    verdict=$(bash "$shared/validate.sh" "$out" | tail -1)
    echo "../shared/validators/validate.sh: $verdict"
    echo "$verdict" | grep -q 'validators: \([0-9]*\)/\1 clean' || status=1
  fi
done
# The real hand-made repo brought under ironplate: adopt, then the same verdict.
pre=$root/../shared/fixtures/real-repo/pre
if [ -d "$pre" ]; then
  out=$work/adopted-pre
  cp -r "$pre" "$out" && chmod -R u+w "$out"
  echo "== adopted-pre (ironplate adopt --yes on ../shared/fixtures/real-repo/pre)"
  XDG_CONFIG_HOME=$work/none "$bin" adopt "$out" --yes >/dev/null
  rc=$?; [ "$rc" -le 1 ] || { echo "adopt failed ($rc)"; status=1; }
  XDG_CONFIG_HOME=$work/none "$bin" audit "$out" >/dev/null || { echo "audit of the adopted repo fails"; status=1; }
  XDG_CONFIG_HOME=$work/none "$bin" upgrade "$out" --check >/dev/null || { echo "upgrade --check after adopt: not up to date"; status=1; }
  bash "$root/scripts/validate-repo.sh" "$out" "$PREFIX" || status=1
  if [ -f "$shared/validate.sh" ]; then
    verdict=$(bash "$shared/validate.sh" "$out" | tail -1)
    echo "../shared/validators/validate.sh: $verdict"
    echo "$verdict" | grep -q 'validators: \([0-9]*\)/\1 clean' || status=1
  fi
fi
exit $status
