#!/usr/bin/env bash
# The test command: type-checks and builds (tsc), then runs every test under test/ with node's
# test runner against real rsync daemons and HTTP servers on 127.0.0.1.
source "$(dirname "$0")/setup.sh"
rm -rf dist/test-tmp
exec node --test --test-concurrency=2 --test-timeout=120000 "$@" $(find dist/test -name '*.test.js' | sort)
