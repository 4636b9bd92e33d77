#!/usr/bin/env bash
# Make sure curl is on this machine: the documentation's examples ask the running server with it
# (tests/test_docs_examples.py runs them). Installs Debian's curl package when missing and we are
# root.
set -euo pipefail

if command -v curl >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "curl not found: installing Debian's curl package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends curl ca-certificates >/dev/null
  exit 0
fi
echo "curl is not installed: run 'sudo apt-get install curl' (the documentation's server examples need it)" >&2
exit 1
