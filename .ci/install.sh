#!/usr/bin/env bash
# Installs the Debian packages and Go modules the tests use. Safe to run
# again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
go mod download
