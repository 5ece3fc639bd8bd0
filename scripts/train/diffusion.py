"""Noise schedule and sampler used while training (the product's own schedulers are the
TypeScript ones in pipeline/diffusion; this mirrors diffusers' DDIMScheduler for v_prediction
with squaredcos_cap_v2 betas and trailing timestep spacing)."""
import math

import torch

SCHEDULER_CONFIG = {
    '_class_name': 'DDIMScheduler',
    '_diffusers_version': '0.30.0',
    'num_train_timesteps': 1000,
    'beta_schedule': 'squaredcos_cap_v2',
    'beta_start': 0.00085,
    'beta_end': 0.012,
    'prediction_type': 'v_prediction',
    'timestep_spacing': 'trailing',
    'steps_offset': 0,
    'set_alpha_to_one': True,
    'clip_sample': False,
    'rescale_betas_zero_snr': False,
}


def alphas_cumprod(n=1000, max_beta=0.999):
    f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = [min(1 - f((i + 1) / n) / f(i / n), max_beta) for i in range(n)]
    return torch.cumprod(1 - torch.tensor(betas, dtype=torch.float64), 0).float()


AC = alphas_cumprod()


def v_loss(unet, x0, ctx, gen, snr_gamma=5.0):
    b = x0.shape[0]
    t = torch.randint(0, 1000, (b,), generator=gen)
    eps = torch.randn(x0.shape, generator=gen)
    a = AC[t].sqrt()[:, None, None, None]
    s = (1 - AC[t]).sqrt()[:, None, None, None]
    noisy = a * x0 + s * eps
    target = a * eps - s * x0
    pred = unet(noisy, t, ctx)
    snr = AC[t] / (1 - AC[t])
    weight = torch.clamp(snr, max=snr_gamma) / (snr + 1)
    return (weight * ((pred - target) ** 2).mean(dim=(1, 2, 3))).mean()


@torch.no_grad()
def ddim_sample(unet, ctx, uncond, shape, gen, steps=20, guidance=4.0):
    x = torch.randn(shape, generator=gen)
    ts = [round(1000 - i * 1000 / steps) - 1 for i in range(steps)]
    for i, t in enumerate(ts):
        tt = torch.full((shape[0],), t, dtype=torch.long)
        v = unet(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([uncond, ctx]))
        vu, vc = v.chunk(2)
        v = vu + guidance * (vc - vu)
        ac = AC[t]
        prev = t - 1000 // steps
        ac_prev = AC[prev] if prev >= 0 else torch.tensor(1.0)
        x0 = ac.sqrt() * x - (1 - ac).sqrt() * v
        eps = ac.sqrt() * v + (1 - ac).sqrt() * x
        x = ac_prev.sqrt() * x0 + (1 - ac_prev).sqrt() * eps
    return x
