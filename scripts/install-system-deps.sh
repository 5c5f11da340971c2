#!/usr/bin/env bash
# Debian packages LossWatch's demo and tests need (used by .ci/run and by `npm run demo` on a fresh machine):
# chromium — the browser the integration tests and the demo screenshot drive; libkrb5-dev, build-essential,
# python3 — native modules of the VS Code server (node-gyp); ripgrep — VS Code's search; fonts — readable
# screenshots; python3-torch/numpy/pandas — the PyTorch example runs and the benchmarks' references.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else echo "install-system-deps: need root or sudo for apt-get" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q < /dev/null
$SUDO apt-get install -y -q --no-install-recommends \
  chromium libkrb5-dev ripgrep build-essential python3 ca-certificates git fonts-dejavu-core \
  python3-torch python3-numpy python3-pandas < /dev/null
