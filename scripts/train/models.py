"""The pack's networks, small enough to train on two CPU cores. Attention is written as
matmul + softmax: Debian's torch 1.13 has no scaled_dot_product_attention."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def gn(ch):
    return nn.GroupNorm(8, ch)


class AutoEncoder(nn.Module):
    """32x32x3 <-> 16x16x4, deterministic (a KL term is not needed at this size)."""

    def __init__(self, ch=64, latent=4):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, ch // 2, 3, padding=1), nn.SiLU(),
            nn.Conv2d(ch // 2, ch, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(ch, ch, 3, padding=1), nn.SiLU(),
            nn.Conv2d(ch, latent, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(latent, ch, 3, padding=1), nn.SiLU(),
            nn.Conv2d(ch, ch, 3, padding=1), nn.SiLU(),
            nn.Upsample(scale_factor=2, mode='nearest'),
            nn.Conv2d(ch, ch // 2, 3, padding=1), nn.SiLU(),
            nn.Conv2d(ch // 2, ch // 2, 3, padding=1), nn.SiLU(),
            nn.Conv2d(ch // 2, 3, 3, padding=1))


class Attention(nn.Module):
    def __init__(self, dim, ctx_dim, heads=4):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(ctx_dim, dim, bias=False)
        self.v = nn.Linear(ctx_dim, dim, bias=False)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, ctx):
        b, n, d = x.shape
        h = self.heads
        q = self.q(x).reshape(b, n, h, d // h).transpose(1, 2)
        k = self.k(ctx).reshape(b, ctx.shape[1], h, d // h).transpose(1, 2)
        v = self.v(ctx).reshape(b, ctx.shape[1], h, d // h).transpose(1, 2)
        w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // h), dim=-1)
        return self.out((w @ v).transpose(1, 2).reshape(b, n, d))


class TransformerBlock(nn.Module):
    def __init__(self, dim, heads=4):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.attn(h, h)
        return x + self.mlp(self.ln2(x))


class TextEncoder(nn.Module):
    """input_ids [B, L] -> last_hidden_state [B, L, D], pooler_output [B, D] (at the EOS token)."""

    def __init__(self, vocab, length, dim=128, layers=2, eos_id=2):
        super().__init__()
        self.eos_id = eos_id
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.zeros(1, length, dim))
        self.blocks = nn.ModuleList([TransformerBlock(dim) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)

    def forward(self, input_ids):
        x = self.tok(input_ids.long()) + self.pos
        for blk in self.blocks:
            x = blk(x)
        x = self.ln(x)
        eos = (input_ids.long() == self.eos_id).long().argmax(-1)
        pooled = x[torch.arange(x.shape[0]), eos]
        return x, pooled


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResBlock(nn.Module):
    """Scale-shift group norm driven by the timestep + pooled-text embedding."""

    def __init__(self, cin, cout, emb):
        super().__init__()
        self.n1 = gn(cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb, cout * 2)
        self.n2 = gn(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, e):
        h = self.c1(F.silu(self.n1(x)))
        scale, shift = self.emb(F.silu(e))[:, :, None, None].chunk(2, dim=1)
        h = self.n2(h) * (1 + scale) + shift
        return self.skip(x) + self.c2(F.silu(h))


class CrossAttnBlock(nn.Module):
    def __init__(self, ch, ctx_dim):
        super().__init__()
        self.norm = gn(ch)
        self.attn = Attention(ch, ctx_dim)

    def forward(self, x, ctx):
        b, c, h, w = x.shape
        y = self.norm(x).reshape(b, c, h * w).transpose(1, 2)
        return x + self.attn(y, ctx).transpose(1, 2).reshape(b, c, h, w)


class UNet(nn.Module):
    """sample [B,4,16,16], timestep [B], encoder_hidden_states [B,L,D] -> out_sample [B,4,16,16]."""

    def __init__(self, latent=4, ctx_dim=128, ch=(48, 96, 128), emb=192):
        super().__init__()
        c0, c1, c2 = ch
        self.t_mlp = nn.Sequential(nn.Linear(128, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.text_mlp = nn.Sequential(nn.Linear(ctx_dim, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.conv_in = nn.Conv2d(latent, c0, 3, padding=1)
        self.d0 = ResBlock(c0, c0, emb)
        self.a0 = CrossAttnBlock(c0, ctx_dim)
        self.down0 = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.d1 = ResBlock(c0, c1, emb)
        self.a1 = CrossAttnBlock(c1, ctx_dim)
        self.down1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.m1 = ResBlock(c1, c2, emb)
        self.am = CrossAttnBlock(c2, ctx_dim)
        self.m2 = ResBlock(c2, c2, emb)
        self.u1 = ResBlock(c2 + c1, c1, emb)
        self.au1 = CrossAttnBlock(c1, ctx_dim)
        self.u0 = ResBlock(c1 + c0, c0, emb)
        self.au0 = CrossAttnBlock(c0, ctx_dim)
        self.out = nn.Sequential(gn(c0), nn.SiLU(), nn.Conv2d(c0, latent, 3, padding=1))

    def forward(self, sample, timestep, encoder_hidden_states):
        ctx = encoder_hidden_states
        t = timestep.reshape(-1).float().expand(sample.shape[0])
        e = self.t_mlp(timestep_embedding(t, 128)) + self.text_mlp(ctx.mean(dim=1))
        h0 = self.a0(self.d0(self.conv_in(sample), e), ctx)
        h1 = self.a1(self.d1(self.down0(h0), e), ctx)
        m = self.m2(self.am(self.m1(self.down1(h1), e), ctx), e)
        u = F.interpolate(m, scale_factor=2.0, mode='nearest')
        u = self.au1(self.u1(torch.cat([u, h1], 1), e), ctx)
        u = F.interpolate(u, scale_factor=2.0, mode='nearest')
        u = self.au0(self.u0(torch.cat([u, h0], 1), e), ctx)
        return self.out(u)


class VisionTower(nn.Module):
    """pixel_values [B,3,32,32] -> image_embeds [B,E]."""

    def __init__(self, embed=64, ch=(32, 64, 128)):
        super().__init__()
        c0, c1, c2 = ch
        self.net = nn.Sequential(
            nn.Conv2d(3, c0, 3, padding=1), gn(c0), nn.SiLU(),
            nn.Conv2d(c0, c1, 3, stride=2, padding=1), gn(c1), nn.SiLU(),
            nn.Conv2d(c1, c1, 3, padding=1), gn(c1), nn.SiLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), gn(c2), nn.SiLU(),
            nn.Conv2d(c2, c2, 3, stride=2, padding=1), gn(c2), nn.SiLU())
        self.proj = nn.Linear(c2 * 2, embed)

    def forward(self, x):
        h = self.net(x)
        return self.proj(torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1))


class TextTower(nn.Module):
    """input_ids [B,L] -> text_embeds [B,E]."""

    def __init__(self, vocab, length, embed=64, dim=96):
        super().__init__()
        self.enc = TextEncoder(vocab, length, dim=dim, layers=1)
        self.proj = nn.Linear(dim, embed)

    def forward(self, input_ids):
        return self.proj(self.enc(input_ids)[1])


class Judge(nn.Module):
    """The evaluation's attribute classifier: one head per family."""

    def __init__(self, classes, ch=(32, 64, 96)):
        super().__init__()
        self.body = VisionTower(embed=128, ch=ch)
        self.heads = nn.ModuleList([nn.Linear(128, n) for n in classes])

    def forward(self, x):
        h = F.silu(self.body(x))
        return [head(h) for head in self.heads]
