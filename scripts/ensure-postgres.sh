#!/usr/bin/env bash
# Make sure PostgreSQL server binaries (initdb, pg_ctl) are on this machine, so that the tests can
# start a throwaway cluster. Installs Debian's package when missing and we are root.
set -euo pipefail

if [ -n "${THREADS_TEST_POSTGRES_URL:-}" ]; then
  echo "using the PostgreSQL server at THREADS_TEST_POSTGRES_URL"
  exit 0
fi
if command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL not found: installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  # Debian starts a cluster of its own on install; the tests use their own, so stop it.
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for cluster in /etc/postgresql/*/main; do
      [ -d "$cluster" ] || continue
      version=$(basename "$(dirname "$cluster")")
      pg_ctlcluster "$version" main stop >/dev/null 2>&1 || true
    done
  fi
  exit 0
fi
echo "PostgreSQL is not installed: run 'sudo apt-get install postgresql' (the PostgreSQL tests will skip)" >&2
if [ -n "${CI:-}" ]; then
  exit 1
fi
