#!/bin/sh
# Makes sure Debian's HAProxy is installed for the fleet test (test/fleet.solo.test.ts: three gateway
# processes behind a real load balancer). Does nothing when `haproxy` is already on PATH.
set -eu

if command -v haproxy >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "ensure-haproxy: haproxy is missing and this user cannot install it (not root, no sudo)." >&2
  echo "ensure-haproxy: run 'apt-get update && apt-get install -y --no-install-recommends haproxy' as root." >&2
  exit 1
fi

echo "ensure-haproxy: installing Debian's haproxy (for the fleet test)" >&2
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends haproxy
# the package may start a service where there is an init system; the test starts its own
$SUDO service haproxy stop >/dev/null 2>&1 || true
