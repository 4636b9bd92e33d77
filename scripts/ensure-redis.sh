#!/usr/bin/env bash
# Make sure a Redis-compatible server binary (valkey-server or redis-server) is on this machine,
# so that the tests of the shared rate-limit store can start their own throwaway server.
# Installs Debian's redis-server package when missing and we are root.
set -euo pipefail

if command -v valkey-server >/dev/null 2>&1 || command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Redis not found: installing Debian's redis-server package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  # Debian may start a server of its own on install; the tests use their own, so stop it.
  if command -v service >/dev/null 2>&1; then
    service redis-server stop >/dev/null 2>&1 || true
  fi
  exit 0
fi
echo "Redis is not installed: run 'sudo apt-get install redis-server' (the shared-store tests will skip)" >&2
if [ -n "${CI:-}" ]; then
  exit 1
fi
