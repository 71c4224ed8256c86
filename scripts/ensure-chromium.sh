#!/bin/sh
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests (test/ide.browser.test.ts).
# Does nothing when it is already there; never downloads a browser from anywhere but apt.
set -eu
exec sh "$(dirname "$0")/ensure-debian-package.sh" chromium /usr/bin/chromium "for the browser tests"
