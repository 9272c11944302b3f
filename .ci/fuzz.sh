#!/usr/bin/env bash
# Runs every Go fuzz target in the module for $FUZZTIME each. The targets
# are found by name in the test files (cheaper than compiling every
# package to list them); their seed corpora also run in plain `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-3s}
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
while IFS= read -r dir; do
  for t in $(grep -h -o '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | sed 's/^func //' | sort -u); do
    echo "fuzz ./$dir $t ($FUZZTIME)"
    if ! go test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" "./$dir" >"$log" 2>&1; then
      cat "$log"
      status=1
    fi
  done
done < <(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sed 's#^\./##' | sort -u)
exit $status
