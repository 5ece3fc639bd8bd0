"""Times the pack's UNet architecture in torch eager on the CPU (the same network the ONNX
export runs; weights do not change the cost). Prints JSON: ms per call at the given batch.

  /usr/bin/python3 scripts/bench/torch_unet.py --batch 2 --threads 2"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'train'))
import models  # noqa: E402
import world  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--batch', type=int, default=2)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--iters', type=int, default=50)
args = p.parse_args()
torch.set_num_threads(args.threads)
unet = models.UNet().eval()
x = torch.randn(args.batch, 4, 16, 16)
t = torch.full((args.batch,), 500, dtype=torch.long)
ctx = torch.randn(args.batch, world.MAX_LENGTH, 128)
with torch.no_grad():
    for _ in range(5):
        unet(x, t, ctx)
    start = time.perf_counter()
    for _ in range(args.iters):
        unet(x, t, ctx)
    ms = (time.perf_counter() - start) * 1000 / args.iters
print(json.dumps({'torch_version': torch.__version__, 'batch': args.batch, 'threads': args.threads, 'ms_per_call': ms}))
