#!/bin/sh
# Makes sure Debian's Redis server is installed for the quota tests (test/quotas.test.ts: two gateway
# copies sharing one Redis). Does nothing when `redis-server` is already on PATH. The tests start their
# own Redis on loopback ports; a service the package may start is stopped.
set -eu
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
sh "$(dirname "$0")/ensure-debian-package.sh" redis-server redis-server "for the quota tests"
if [ "$(id -u)" -eq 0 ]; then service redis-server stop >/dev/null 2>&1 || true; fi
