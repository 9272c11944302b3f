#!/usr/bin/env bash
# Installs the Debian packages and Go modules the tests use. Safe to run
# again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
go mod download

# prometheus (2.42, with promtool): ops/ checks the alert rules with promtool
# and scrapes a running switch with a real Prometheus. The tests run the
# binaries themselves on free ports; the package's service is not needed, so
# it is stopped if the package started it (it would hold port 9090).
if [ ! -x /usr/bin/prometheus ] || [ ! -x /usr/bin/promtool ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus
  $sudo service prometheus stop >/dev/null 2>&1 || true
fi
