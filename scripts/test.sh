#!/usr/bin/env bash
# The test command: type-checks and builds (tsc, then the bundle), then runs every test under
# test/ with node's test runner against real rsync daemons and HTTP servers on 127.0.0.1.
MIRRORSYNC_NEED_CHROMIUM=1 source "$(dirname "$0")/setup.sh"
results=dist/test-results.tap
status=0
node --test --test-concurrency=2 --test-timeout=180000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$results" \
  "$@" $(find dist/test -name '*.test.js' | sort) || status=$?

# A short ending whatever the reporter printed above: which tests failed, then the counts.
failed=$(grep -E '^\s*not ok ' "$results" | grep -vE '# (TODO|SKIP)' | sed -E 's/^\s*not ok [0-9]+ - /  - /' || true)
if [ -n "$failed" ]; then
  echo
  echo "Failed tests:"
  echo "$failed"
fi
pass=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$results" | tail -n 1)
fail=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$results" | tail -n 1)
skipped=$(sed -nE 's/^# skipped ([0-9]+)$/\1/p' "$results" | tail -n 1)
echo
echo "tests: ${pass:-0} passed, ${fail:-0} failed, ${skipped:-0} skipped"
exit "$status"
