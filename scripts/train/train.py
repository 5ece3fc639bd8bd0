"""Trains the bundled model pack on the procedural world, stage by stage, resumable.

  /usr/bin/python3 scripts/train/train.py ae|judge|unet|clip [--steps N] [--threads 2]

Checkpoints and logs go to data/train/ (resumed when present); export.py writes the pack."""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import diffusion
import models
import world

CKPT = os.path.join(world.ROOT, 'data', 'train')
os.makedirs(CKPT, exist_ok=True)


def log(stage, record):
    record['time'] = time.strftime('%H:%M:%S')
    print(stage, json.dumps(record), flush=True)
    with open(os.path.join(CKPT, f'{stage}.log.jsonl'), 'a') as f:
        f.write(json.dumps(record) + '\n')


def load(stage, modules, opt):
    path = os.path.join(CKPT, f'{stage}.pt')
    if not os.path.exists(path):
        return 0
    state = torch.load(path)
    for name, m in modules.items():
        m.load_state_dict(state[name])
    opt.load_state_dict(state['opt'])
    return state['step']


def save(stage, modules, opt, step):
    state = {name: m.state_dict() for name, m in modules.items()}
    state.update(opt=opt.state_dict(), step=step)
    torch.save(state, os.path.join(CKPT, f'{stage}.pt.tmp'))
    os.replace(os.path.join(CKPT, f'{stage}.pt.tmp'), os.path.join(CKPT, f'{stage}.pt'))


def lr_at(step, total, base, warmup=300):
    if step < warmup:
        return base * (step + 1) / warmup
    return base * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * min(1.0, (step - warmup) / max(1, total - warmup)))))


def trained(stage):
    """The modules of a finished (or current) stage, for the next stages."""
    state = torch.load(os.path.join(CKPT, f'{stage}.pt'))
    return state


def train_ae(args, data):
    ae = models.AutoEncoder()
    opt = torch.optim.AdamW(ae.parameters(), lr=2e-3, weight_decay=0.0)
    step = load('ae', {'ae': ae}, opt)
    rng = np.random.default_rng(step)
    gen = torch.Generator().manual_seed(step)
    while step < args.steps:
        for g in opt.param_groups:
            g['lr'] = lr_at(step, args.steps, 2e-3, warmup=100)
        x = data.pixels(rng.integers(0, len(data), 64))
        z = ae.encoder(x)
        z_noisy = z + 0.1 * z.detach().std() * torch.randn(z.shape, generator=gen)
        rec = ae.decoder(z_noisy)
        loss = F.l1_loss(rec, x) + F.mse_loss(rec, x) + 1e-4 * (z ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0 or step == args.steps:
            with torch.no_grad():
                mse = F.mse_loss(ae.decoder(ae.encoder(x)), x).item()
            log('ae', {'step': step, 'loss': loss.item(), 'psnr': 10 * np.log10(4 / mse)})
            save('ae', {'ae': ae}, opt, step)


def latents_of(data, ae):
    """Encode the whole split once; returns (latents, scaling_factor)."""
    path = os.path.join(CKPT, 'latents.pt')
    if os.path.exists(path):
        return torch.load(path)
    out = []
    with torch.no_grad():
        for i in range(0, len(data), 2000):
            out.append(ae.encoder(data.pixels(np.arange(i, min(i + 2000, len(data))))))
    z = torch.cat(out)
    scale = float(1.0 / z.std())
    torch.save((z, scale), path)
    return z, scale


def load_ae():
    ae = models.AutoEncoder()
    ae.load_state_dict(trained('ae')['ae'])
    return ae.eval()


def train_judge(args, data):
    classes = [len(world.VOCAB['families'][f]['values']) for f in world.FAMILIES]
    judge = models.Judge(classes)
    ae = load_ae()
    opt = torch.optim.AdamW(judge.parameters(), lr=2e-3, weight_decay=1e-4)
    step = load('judge', {'judge': judge}, opt)
    rng = np.random.default_rng(100 + step)
    gen = torch.Generator().manual_seed(100 + step)
    test = world.Split('test')
    while step < args.steps:
        for g in opt.param_groups:
            g['lr'] = lr_at(step, args.steps, 2e-3, warmup=100)
        idx = rng.integers(0, len(data), 128)
        x = data.pixels(idx)
        # Half the batch goes through the autoencoder with latent noise, so the judge also
        # reads decoded images (what generation produces) correctly.
        with torch.no_grad():
            z = ae.encoder(x[:64])
            x[:64] = ae.decoder(z + 0.3 * z.std() * torch.randn(z.shape, generator=gen)).clamp(-1, 1)
        x = x + 0.03 * torch.randn(x.shape, generator=gen)
        y = torch.from_numpy(data.attrs[idx])
        loss = sum(F.cross_entropy(o, y[:, f]) for f, o in enumerate(judge(x)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0 or step == args.steps:
            log('judge', {'step': step, 'loss': loss.item(), 'accuracy': judge_accuracy(judge, test)})
            save('judge', {'judge': judge}, opt, step)


@torch.no_grad()
def judge_accuracy(judge, split, n=2000):
    judge.eval()
    idx = np.arange(min(n, len(split)))
    outs = judge(split.pixels(idx))
    judge.train()
    y = split.attrs[idx]
    return {f: float((o.argmax(-1).numpy() == y[:, i]).mean()) for i, (f, o) in enumerate(zip(world.FAMILIES, outs))}


def train_unet(args, data):
    ae = load_ae()
    z, scale = latents_of(data, ae)
    z = z * scale
    unet = models.UNet()
    te = models.TextEncoder(len(world.TOKEN_ID), world.MAX_LENGTH)
    ema_unet, ema_te = models.UNet(), models.TextEncoder(len(world.TOKEN_ID), world.MAX_LENGTH)
    ema_unet.load_state_dict(unet.state_dict())
    ema_te.load_state_dict(te.state_dict())
    params = list(unet.parameters()) + list(te.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    mods = {'unet': unet, 'te': te, 'ema_unet': ema_unet, 'ema_te': ema_te}
    step = load('unet', mods, opt)
    print('unet params', sum(p.numel() for p in unet.parameters()), 'text', sum(p.numel() for p in te.parameters()), flush=True)
    rng = np.random.default_rng(200 + step)
    gen = torch.Generator().manual_seed(200 + step)
    t0 = time.time()
    while step < args.steps:
        for g in opt.param_groups:
            g['lr'] = lr_at(step, args.steps, args.lr)
        idx = rng.integers(0, len(data), args.batch)
        ids, _ = world.random_captions(data.attrs[idx], rng, drop=0.4, uncond=0.1)
        ctx = te(ids)[0]
        loss = diffusion.v_loss(unet, z[idx], ctx, gen)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        with torch.no_grad():
            d = min(0.999, (1 + step) / (10 + step))
            for m, e in ((unet, ema_unet), (te, ema_te)):
                for p, q in zip(m.parameters(), e.parameters()):
                    q.mul_(d).add_(p.detach(), alpha=1 - d)
        if step % 50 == 0:
            log('unet', {'step': step, 'loss': loss.item(), 's_per_step': (time.time() - t0) / 50})
            t0 = time.time()
        if step % 500 == 0 or step == args.steps:
            save('unet', mods, opt, step)
        if (step % args.eval_every == 0 or step == args.steps) and os.path.exists(os.path.join(CKPT, 'judge.pt')):
            log('unet_eval', {'step': step, 'faithfulness': faithfulness(ema_unet, ema_te, ae, scale, n=args.eval_n)})
            t0 = time.time()


@torch.no_grad()
def faithfulness(unet, te, ae, scale, n=200, seed=0):
    """Share of images whose attributes match a prompt naming all five, read by the judge."""
    unet.eval()
    te.eval()
    classes = [len(world.VOCAB['families'][f]['values']) for f in world.FAMILIES]
    judge = models.Judge(classes)
    judge.load_state_dict(trained('judge')['judge'])
    judge.eval()
    rng = np.random.default_rng(seed)
    attrs = np.stack([rng.integers(0, c, n) for c in classes], 1)
    ids = torch.tensor([world.tokenize(world.caption(a, [True] * len(classes))) for a in attrs])
    uncond = torch.tensor([world.tokenize('')] * n)
    gen = torch.Generator().manual_seed(seed)
    lat = diffusion.ddim_sample(unet, te(ids)[0], te(uncond)[0], (n, 4, 16, 16), gen)
    img = ae.decoder(lat / scale).clamp(-1, 1)
    outs = judge(img)
    unet.train()
    te.train()
    return {f: float((o.argmax(-1).numpy() == attrs[:, i]).mean()) for i, (f, o) in enumerate(zip(world.FAMILIES, outs))}


def train_clip(args, data):
    vision = models.VisionTower()
    text = models.TextTower(len(world.TOKEN_ID), world.MAX_LENGTH)
    logit_scale = torch.nn.Parameter(torch.tensor(np.log(1 / 0.07), dtype=torch.float32))
    opt = torch.optim.AdamW(list(vision.parameters()) + list(text.parameters()) + [logit_scale], lr=2e-3, weight_decay=1e-4)
    holder = torch.nn.Module()
    holder.logit_scale = logit_scale
    mods = {'vision': vision, 'text': text, 'scale': holder}
    step = load('clip', mods, opt)
    ae = load_ae()
    rng = np.random.default_rng(300 + step)
    gen = torch.Generator().manual_seed(300 + step)
    while step < args.steps:
        for g in opt.param_groups:
            g['lr'] = lr_at(step, args.steps, 2e-3, warmup=100)
        idx = rng.integers(0, len(data), args.batch)
        a = data.attrs[idx]
        ids, keep = world.random_captions(a, rng, drop=0.5)
        x = data.pixels(idx)
        # Half the batch goes through the autoencoder with latent noise, so the embedder also
        # reads generated (decoded, softer) images as it reads clean renders.
        with torch.no_grad():
            h = len(idx) // 2
            z = ae.encoder(x[:h])
            x[:h] = ae.decoder(z + 0.3 * z.std() * torch.randn(z.shape, generator=gen)).clamp(-1, 1)
        x = x + 0.03 * torch.randn(x.shape, generator=gen)
        im = F.normalize(vision(x), dim=-1)
        tx = F.normalize(text(ids), dim=-1)
        logits = logit_scale.exp().clamp(max=100) * im @ tx.T
        # Several captions can describe one image (and one caption several images): the
        # targets are every pair whose named attributes match, not just the diagonal.
        keep_t = torch.from_numpy(keep)
        a_t = torch.from_numpy(a)
        match = ((a_t[:, None, :] == a_t[None, :, :]) | ~keep_t[None, :, :]).all(-1).float()
        loss = 0.5 * (-(F.log_softmax(logits, 1) * match / match.sum(1, keepdim=True)).sum(1).mean()
                      - (F.log_softmax(logits, 0) * match / match.sum(0, keepdim=True)).sum(0).mean())
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0 or step == args.steps:
            log('clip', {'step': step, 'loss': loss.item(), 'scale': float(logit_scale.exp()), 'zero_shot': zero_shot(vision, text)})
            save('clip', mods, opt, step)


@torch.no_grad()
def zero_shot(vision, text, n=1000):
    vision.eval()
    text.eval()
    split = world.Split('test')
    idx = np.arange(n)
    im = F.normalize(vision(split.pixels(idx)), dim=-1)
    out = {}
    for f, name in enumerate(world.FAMILIES):
        values = world.VOCAB['families'][name]['values']
        keep = [i == f for i in range(len(world.FAMILIES))]
        prompts = []
        for v in range(len(values)):
            a = [0] * len(world.FAMILIES)
            a[f] = v
            prompts.append(world.tokenize(world.caption(a, keep)))
        tx = F.normalize(text(torch.tensor(prompts)), dim=-1)
        out[name] = float(((im @ tx.T).argmax(-1).numpy() == split.attrs[idx, f]).mean())
    vision.train()
    text.train()
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument('stage', choices=['ae', 'judge', 'unet', 'clip'])
    p.add_argument('--steps', type=int, required=True)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--eval-every', type=int, default=2000)
    p.add_argument('--eval-n', type=int, default=200)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = world.Split('train')
    {'ae': train_ae, 'judge': train_judge, 'unet': train_unet, 'clip': train_clip}[args.stage](args, data)


if __name__ == '__main__':
    main()
