#!/usr/bin/env bash
# The demo: builds mirrorsync, starts a mirror network of rsync daemons on 127.0.0.1 and runs the
# main job against it (rank, bootstrap, update, no-op, failover, status, metrics).
source "$(dirname "$0")/setup.sh"
exec node dist/demo/run-demo.js
