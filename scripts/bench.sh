#!/usr/bin/env bash
# The benchmarks: builds mirrorsync (the bundled CLI is what they measure), then runs them against
# rsync daemons on 127.0.0.1 and appends the figures to BENCHMARKS.md.
#   npm run bench                      every benchmark (8 minutes on 2 cores; 10 while the trees are made)
#   npm run bench -- noop rank         some of them: noop transfer failover stall rank memory due
#   npm run bench -- --large           also the 1M-file cases (the tree is made once under /tmp)
source "$(dirname "$0")/setup.sh"
exec node dist/bench/run-all.js "$@"
