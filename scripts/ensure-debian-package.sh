#!/bin/sh
# Installs a Debian package the tests need when what it provides is missing: `ensure-debian-package.sh
# PACKAGE PROVIDES WHAT-FOR`, PROVIDES being an executable path or a command name. Never downloads
# anything but Debian's packages, through apt.
set -eu
package=$1
provides=$2
purpose=$3

if [ -x "$provides" ] || command -v "$provides" >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "ensure-$package: $provides is missing and this user cannot install it (not root, no sudo)." >&2
  echo "ensure-$package: run 'apt-get update && apt-get install -y --no-install-recommends $package' as root." >&2
  exit 1
fi

echo "ensure-$package: installing Debian's $package ($purpose)" >&2
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "$package"
