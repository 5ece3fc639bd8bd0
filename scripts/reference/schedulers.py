#!/usr/bin/env python3
"""Known-good values for the TypeScript schedulers (pipeline/diffusion/schedulers), computed
independently: written from the published formulas and from the numpy calls diffusers makes
(np.linspace, np.arange, np.round, np.interp), without reading or importing the TypeScript.

    /usr/bin/python3 scripts/reference/schedulers.py   # Debian python3 + numpy, no torch

writes test/fixtures/schedulers.json. Each case runs a whole deterministic trajectory: a fixed
8-value latent, a fake "model" (model_output = 0.5 * model_input + 0.1 * cos(t / 100), on the
scaled model input) and, for ancestral/eta > 0 cases, fixed noise vectors stored in the fixture.

Conventions shared with diffusers (so the fixture also pins diffusers' behaviour):
  - alphas_cumprod is a float64 product stored as float32 (scripts/train/diffusion.py does the same);
  - Euler sigmas are stored as float32, and Euler's linspace timesteps are float32;
  - latents are float32 between steps; the maths within a step runs in float64;
  - DDIM's previous timestep is t - T // n (diffusers' rule, also in scripts/train/diffusion.py);
  - trailing spacing keeps the first n values of np.arange(T, 0, -T / n): numpy's length
    rounding sometimes adds an n+1th value ~1e-13 that diffusers turns into timestep -1.
"""
import json
import math
import pathlib
import re

import numpy as np

F32 = np.float32
OUT = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'schedulers.json'

# diffusers' defaults, per class where they differ.
COMMON = dict(num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02, beta_schedule='linear',
              trained_betas=None, prediction_type='epsilon', steps_offset=0, clip_sample_range=1.0)
DEFAULTS = {
    'ddim': dict(COMMON, timestep_spacing='leading', clip_sample=True, set_alpha_to_one=True),
    'euler': dict(COMMON, timestep_spacing='linspace'),
    'euler-a': dict(COMMON, timestep_spacing='linspace'),
}

SD = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule='scaled_linear')
SD_TURBO = dict(SD, prediction_type='epsilon', timestep_spacing='trailing', steps_offset=1)
ATELIER = dict(num_train_timesteps=1000, beta_schedule='squaredcos_cap_v2', prediction_type='v_prediction',
               timestep_spacing='trailing', steps_offset=0, set_alpha_to_one=True, clip_sample=False)

LATENT = np.array([0.3, -1.2, 0.8, 2.1, -0.5, 0.05, -1.7, 1.0], dtype=F32)


def full(kind, config):
    return {**DEFAULTS[kind], **config}


def betas(c):
    n = c['num_train_timesteps']
    if c['trained_betas'] is not None:
        return np.asarray(c['trained_betas'], dtype=np.float64)
    if c['beta_schedule'] == 'linear':
        return np.linspace(c['beta_start'], c['beta_end'], n)
    if c['beta_schedule'] == 'scaled_linear':
        return np.linspace(math.sqrt(c['beta_start']), math.sqrt(c['beta_end']), n) ** 2
    if c['beta_schedule'] == 'squaredcos_cap_v2':
        # Nichol & Dhariwal 2021 eq. 17, discretised as beta_i = 1 - abar(t_{i+1}) / abar(t_i), capped.
        abar = lambda t: np.cos((t + 0.008) / 1.008 * np.pi / 2) ** 2
        t = np.arange(n, dtype=np.float64)
        return np.minimum(1 - abar((t + 1) / n) / abar(t / n), 0.999)
    raise ValueError(c['beta_schedule'])


def alphas_cumprod(c):
    return np.cumprod(1.0 - betas(c)).astype(F32)


def timesteps(kind, c, n):
    T = c['num_train_timesteps']
    spacing = c['timestep_spacing']
    if spacing == 'leading':
        ts = (np.arange(0, n) * (T // n)).round()[::-1] + c['steps_offset']
    elif spacing == 'trailing':
        ts = np.round(np.arange(T, 0, -T / n))[:n] - 1
    elif spacing == 'linspace':
        ts = np.linspace(0, T - 1, n)[::-1]
        ts = np.round(ts) if kind == 'ddim' else ts.astype(F32).astype(np.float64)
    else:
        raise ValueError(spacing)
    assert len(ts) == n and ts.max() <= T - 1
    return [int(t) for t in ts] if kind == 'ddim' else [float(t) for t in ts]


def fake_model(model_input, t):
    return (0.5 * model_input.astype(np.float64) + 0.1 * math.cos(t / 100)).astype(F32)


def ddim_run(c, n, eta, noises):
    """DDIM eq. 12 with sigma_t from eq. 16 (Song et al. 2021); v-parameterisation from
    Salimans & Ho 2022 sec. 4."""
    T = c['num_train_timesteps']
    abar = alphas_cumprod(c).astype(np.float64)
    abar_final = 1.0 if c['set_alpha_to_one'] else abar[0]
    ts = timesteps('ddim', c, n)
    x = LATENT.copy()  # DDIM's initial noise sigma is 1
    steps = []
    for k, t in enumerate(ts):
        out = fake_model(x, t).astype(np.float64)
        xs = x.astype(np.float64)
        a = abar[t]
        prev = t - T // n
        a_prev = abar[prev] if prev >= 0 else abar_final
        p = c['prediction_type']
        if p == 'epsilon':
            eps = out
            x0 = (xs - np.sqrt(1 - a) * eps) / np.sqrt(a)
        elif p == 'v_prediction':
            x0 = np.sqrt(a) * xs - np.sqrt(1 - a) * out
            eps = np.sqrt(a) * out + np.sqrt(1 - a) * xs
        else:
            x0 = out
            eps = (xs - np.sqrt(a) * x0) / np.sqrt(1 - a)
        if c['clip_sample']:
            x0 = np.clip(x0, -c['clip_sample_range'], c['clip_sample_range'])
        sigma = eta * np.sqrt((1 - a_prev) / (1 - a)) * np.sqrt(1 - a / a_prev)
        x_prev = np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev - sigma ** 2) * eps
        if eta > 0:
            x_prev = x_prev + sigma * noises[k].astype(np.float64)
        steps.append(record(t, x, out, x_prev, x0))
        x = x_prev.astype(F32)
    return ts, 1.0, steps


def euler_run(kind, c, n, noises):
    """Karras et al. 2022 Algorithm 2 (first order, S_churn = 0) in sigma = sqrt((1 - abar) / abar);
    ancestral variant as k-diffusion's get_ancestral_step with eta = 1."""
    T = c['num_train_timesteps']
    abar = alphas_cumprod(c).astype(np.float64)
    sigma_table = np.sqrt((1 - abar) / abar)
    ts = timesteps(kind, c, n)
    sigmas = np.append(np.interp(ts, np.arange(T), sigma_table).astype(F32), F32(0)).astype(np.float64)
    s_max = sigmas.max()
    init_sigma = math.sqrt(s_max ** 2 + 1) if c['timestep_spacing'] == 'leading' else s_max
    x = (LATENT.astype(np.float64) * init_sigma).astype(F32)
    steps = []
    for k, t in enumerate(ts):
        s, s_next = sigmas[k], sigmas[k + 1]
        xs = x.astype(np.float64)
        model_input = (xs / np.sqrt(s ** 2 + 1)).astype(F32)  # c_in, sigma_data = 1
        out = fake_model(model_input, t).astype(np.float64)
        p = c['prediction_type']
        if p == 'epsilon':
            x0 = xs - s * out
        elif p == 'v_prediction':
            x0 = xs / (s ** 2 + 1) - out * s / np.sqrt(s ** 2 + 1)  # c_skip, c_out for v
        else:
            x0 = out
        d = (xs - x0) / s
        if kind == 'euler':
            x_next = xs + d * (s_next - s)
        else:
            s_up = min(s_next, math.sqrt(s_next ** 2 * (s ** 2 - s_next ** 2) / s ** 2))
            s_down = math.sqrt(s_next ** 2 - s_up ** 2)
            x_next = xs + d * (s_down - s) + s_up * noises[k].astype(np.float64)
        steps.append(record(t, model_input, out, x_next, x0))
        x = x_next.astype(F32)
    return ts, init_sigma, steps


def record(t, model_input, model_output, prev_sample, pred_original):
    as32 = lambda v: [float(F32(e)) for e in v]
    return dict(timestep=t, modelInput=as32(model_input), modelOutput=as32(model_output),
                prevSample=as32(prev_sample), predOriginalSample=as32(pred_original))


def noise_vectors(seed, count):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(len(LATENT)).astype(F32) for _ in range(count)]


def case(name, kind, config, steps, eta=0.0, noise_seed=None):
    c = full(kind, config)
    noises = noise_vectors(noise_seed, steps) if noise_seed is not None else None
    if kind == 'ddim':
        ts, init_sigma, trajectory = ddim_run(c, steps, eta, noises)
    else:
        ts, init_sigma, trajectory = euler_run(kind, c, steps, noises)
    out = dict(name=name, scheduler=kind, config=config, steps=steps, timesteps=ts,
               initNoiseSigma=float(init_sigma), initialNoise=[float(v) for v in LATENT])
    if eta:
        out['eta'] = eta
    if noises is not None:
        out['noise'] = [[float(v) for v in z] for z in noises]
    out['trajectory'] = trajectory
    return out


CASES = [
    case('ddim, SD 1.5 config (epsilon, scaled_linear, leading, steps_offset 1), 10 steps', 'ddim',
         dict(SD, prediction_type='epsilon', timestep_spacing='leading', steps_offset=1,
              set_alpha_to_one=False, clip_sample=False), 10),
    case('ddim, Atelier training config (v_prediction, squaredcos_cap_v2, trailing), 20 steps', 'ddim',
         ATELIER, 20),
    case('ddim, diffusers defaults + sample prediction, linspace, clip_sample, eta 0.5, 7 steps', 'ddim',
         dict(prediction_type='sample', timestep_spacing='linspace'), 7, eta=0.5, noise_seed=7),
    case('euler, SD 1.5 config (epsilon, leading, steps_offset 1), 10 steps', 'euler',
         dict(SD, prediction_type='epsilon', timestep_spacing='leading', steps_offset=1), 10),
    case('euler, SD-Turbo config (trailing), 1 step', 'euler', SD_TURBO, 1),
    case('euler, SD-Turbo config (trailing), 4 steps', 'euler', SD_TURBO, 4),
    case('euler, v_prediction, linspace (fractional timesteps), 7 steps', 'euler',
         dict(SD, prediction_type='v_prediction', timestep_spacing='linspace'), 7),
    case('euler-a, SD 1.5 betas, epsilon, linspace, 6 steps', 'euler-a',
         dict(SD, prediction_type='epsilon'), 6, noise_seed=11),
    case('euler-a, linear betas, v_prediction, trailing, 4 steps', 'euler-a',
         dict(prediction_type='v_prediction', timestep_spacing='trailing'), 4, noise_seed=12),
]

SPACING_STEPS = [1, 2, 3, 4, 7, 10, 16, 20, 25, 48, 50, 61, 103, 333, 1000]


def spacings():
    rows = []
    for spacing, offset, kinds in [('leading', 0, ['ddim']), ('leading', 1, ['ddim']),
                                   ('trailing', 0, ['ddim']), ('linspace', 0, ['ddim', 'euler'])]:
        for kind in kinds:
            for n in SPACING_STEPS:
                if spacing == 'leading' and offset and n == 1000:
                    continue  # reaches timestep 1000: an error, tested separately
                config = dict(timestep_spacing=spacing, steps_offset=offset)
                rows.append(dict(scheduler=kind, config=config, steps=n,
                                 timesteps=timesteps(kind, full(kind, config), n)))
    return rows


def beta_checks():
    rows = []
    for config in [dict(), SD, dict(beta_schedule='squaredcos_cap_v2'),
                   dict(num_train_timesteps=10, trained_betas=[0.01 * (i + 1) for i in range(10)])]:
        c = full('ddim', config)
        abar = alphas_cumprod(c)
        T = c['num_train_timesteps']
        idx = sorted({0, 1, T // 2, T - 1})
        rows.append(dict(config=config, alphasCumprod={str(i): float(abar[i]) for i in idx}))
    return rows


def dump(obj):
    """Indented JSON with each list of numbers on one line, so the fixture diffs readably."""
    text = json.dumps(obj, indent=1)
    return re.sub(r'\[\s+([-0-9.e,\s]+?)\s+\]', lambda m: '[' + re.sub(r'\s+', ' ', m.group(1)) + ']', text)


def main():
    fixture = dict(
        generator='scripts/reference/schedulers.py',
        model='modelOutput = float32(0.5 * modelInput + 0.1 * cos(t / 100)); latents start at initialNoise * initNoiseSigma',
        cases=CASES, spacings=spacings(), betas=beta_checks())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(dump(fixture) + '\n')
    for c in CASES:
        last = c['trajectory'][-1]['prevSample']
        print(f"{c['name']}: timesteps {c['timesteps'][:4]}... init sigma {c['initNoiseSigma']:.6g}, "
              f"final {[round(v, 4) for v in last[:3]]}...")
    print(f'wrote {OUT}')


if __name__ == '__main__':
    main()
