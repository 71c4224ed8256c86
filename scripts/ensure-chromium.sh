#!/bin/sh
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests (test/ide.browser.test.ts).
# Does nothing when it is already there; never downloads a browser from anywhere but apt.
set -eu

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "ensure-chromium: /usr/bin/chromium is missing and this user cannot install it (not root, no sudo)." >&2
  echo "ensure-chromium: run 'apt-get update && apt-get install -y --no-install-recommends chromium' as root." >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium (for the browser tests)" >&2
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
