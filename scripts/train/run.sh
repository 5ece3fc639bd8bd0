#!/usr/bin/env bash
# Reproduces the bundled model pack from nothing: renders the world, trains every stage
# (each resumes from data/train/ when interrupted), exports to models/atelier-tiny.
# Uses Debian's python3-torch (/usr/bin/python3), not the pyenv python first on PATH.
#   bash scripts/train/run.sh            # CPU, hours
#   UNET_STEPS=40000 BATCH=256 bash scripts/train/run.sh   # longer, on a bigger machine
# The shipped pack: AE 1500, judge 200, UNet + text encoder 5500 (batch 64, lr 1.5e-3),
# CLIP 1000 steps, about 90 minutes of 2 CPU cores in all.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-2}
[ -f data/world/train/meta.json ] || npx tsx scripts/world/write-dataset.ts --out data/world/train --n 200000 --seed 1
[ -f data/world/test/meta.json ] || npx tsx scripts/world/write-dataset.ts --out data/world/test --n 5000 --seed 2
cd scripts/train
$PY train.py ae --steps "${AE_STEPS:-1500}" --threads "$THREADS"
$PY train.py judge --steps "${JUDGE_STEPS:-200}" --threads "$THREADS"
$PY train.py unet --steps "${UNET_STEPS:-5500}" --batch "${BATCH:-64}" --lr 1.5e-3 --eval-every 1000 --threads "$THREADS"
$PY train.py clip --steps "${CLIP_STEPS:-1000}" --batch 128 --threads "$THREADS"
$PY export.py
