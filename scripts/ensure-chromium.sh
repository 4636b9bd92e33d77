#!/usr/bin/env bash
# Make sure Debian's chromium is on this machine: the console tests drive it headless through
# Playwright (whose own browser download cannot work here). Installs the package when missing
# and we are root.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium not found: installing Debian's chromium package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "chromium is not installed: run 'sudo apt-get install chromium' (the console tests need it)" >&2
exit 1
