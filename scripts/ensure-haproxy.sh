#!/bin/sh
# Makes sure Debian's HAProxy is installed for the fleet test (test/fleet.solo.test.ts: three gateway
# processes behind a real load balancer). Does nothing when `haproxy` is already on PATH. The test
# starts its own HAProxy on loopback ports; a service the package may start is stopped.
set -eu
if command -v haproxy >/dev/null 2>&1; then
  exit 0
fi
sh "$(dirname "$0")/ensure-debian-package.sh" haproxy haproxy "for the fleet test"
if [ "$(id -u)" -eq 0 ]; then service haproxy stop >/dev/null 2>&1 || true; fi
