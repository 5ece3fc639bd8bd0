#!/usr/bin/env bash
# Installs the project's dependencies on a fresh machine.
# onnxruntime-node's install step downloads the CUDA provider libraries; offline it fails
# the whole install. So: where a GPU is present, try with the download and fall back to
# skipping it; everywhere else skip it (the CPU and WebGPU providers are bundled).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ONNXRUNTIME_NODE_INSTALL:-}" ] && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "setup: GPU found; installing with onnxruntime-node's CUDA libraries" >&2
  npm ci --no-audit --no-fund && exit 0
  echo "setup: the CUDA download failed (offline?); installing without it" >&2
fi
ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL:-skip} npm ci --no-audit --no-fund
