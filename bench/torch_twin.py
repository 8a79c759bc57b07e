#!/usr/bin/env python3
"""PyTorch eager twin of `fipmae bench model`: the same presets, network, masked-patch loss
and AdamW step, written the way a PyTorch user would (MAE's `models_mae.py` / timm idioms:
one fused qkv projection, `F.scaled_dot_product_attention`, argsort masking).

It prints one JSON line: parameter count (must equal the Rust autoencoder's), pretraining
examples/s (forward + backward + AdamW), classifier forward examples/s, and the process's
peak resident memory. Benchmark-only: `scripts/bench_vs_torch.sh` installs torch in its own
venv; nothing in the test command imports this.

Usage: torch_twin.py --preset small --method fip --batch-size 32 --steps 10 --threads 2
"""
import argparse
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# Mirrors model/src/network/presets.rs (SPEC §4).
PRESETS = {
    "tiny": dict(image=32, patch=8, dim=64, depth=2, heads=2, dec_dim=32, dec_heads=2,
                 dec_depth=1, target_dec_depth=1),
    "small": dict(image=64, patch=8, dim=192, depth=6, heads=3, dec_dim=128, dec_heads=4,
                  dec_depth=2, target_dec_depth=4),
    "base": dict(image=224, patch=16, dim=768, depth=12, heads=12, dec_dim=512,
                 dec_heads=16, dec_depth=4, target_dec_depth=8),
}
# constellation (target, 3 kernel widths), scalogram, signal (I/Q), noise (I/Q)
CHANNELS = [3, 1, 2, 2]
TARGET = 0
DENOMAE_MASK_RATIO, FIP_MASK_TARGET, FIP_WEIGHT_TARGET = 0.75, 0.85, 2.0
MLP_RATIO, HEAD_HIDDEN, CLASSES = 4.0, 256, 10


def sincos_2d(dim, grid):
    """Fixed 2-D sin-cos positions [grid*grid, dim], as encoder.rs::sincos_2d."""
    quarter = dim // 4
    omega = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter)
    rows = []
    for i in range(grid):
        for j in range(grid):
            parts = []
            for pos in (i, j):
                parts += [torch.sin(pos * omega), torch.cos(pos * omega)]
            rows.append(torch.cat(parts))
    return torch.stack(rows).float()


def patchify(imgs, p):
    b, c, h, w = imgs.shape
    gh, gw = h // p, w // p
    x = imgs.reshape(b, c, gh, p, gw, p).permute(0, 2, 4, 3, 5, 1)
    return x.reshape(b, gh * gw, p * p * c)


class Block(nn.Module):
    """Pre-norm transformer block, exact GELU, eps 1e-6 (as encoder.rs::Block)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        hidden = round(dim * MLP_RATIO)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        b, t, d = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, d // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v)
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class Encoder(nn.Module):
    def __init__(self, z, channels):
        super().__init__()
        d, p = z["dim"], z["patch"]
        self.patch_embeds = nn.ModuleList([nn.Linear(p * p * c, d) for c in channels])
        self.modality_embed = nn.Parameter(torch.randn(len(channels), d) * 0.02)
        self.cls_token = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, z["heads"]) for _ in range(z["depth"])])
        self.norm = nn.LayerNorm(d, eps=1e-6)
        grid = z["image"] // p
        self.register_buffer("pos_embed", sincos_2d(d, grid).unsqueeze(0), persistent=False)

    def embed(self, idx, imgs, p):
        x = self.patch_embeds[idx](patchify(imgs, p))
        return x + self.pos_embed + self.modality_embed[idx]

    def forward(self, tokens):
        x = torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


class Decoder(nn.Module):
    def __init__(self, z, channels, depth):
        super().__init__()
        dd, p = z["dec_dim"], z["patch"]
        self.embed = nn.Linear(z["dim"], dd)
        self.mask_token = nn.Parameter(torch.randn(1, 1, dd) * 0.02)
        self.blocks = nn.ModuleList([Block(dd, z["dec_heads"]) for _ in range(depth)])
        self.norm = nn.LayerNorm(dd, eps=1e-6)
        self.pred = nn.Linear(dd, p * p * channels)
        grid = z["image"] // p
        self.register_buffer("pos_embed", sincos_2d(dd, grid).unsqueeze(0), persistent=False)


class FipMae(nn.Module):
    def __init__(self, preset, method):
        super().__init__()
        z = PRESETS[preset]
        self.z = z
        self.ratios = [DENOMAE_MASK_RATIO] * 4
        depths = [z["dec_depth"]] * 4
        self.weights = [1.0] * 4
        if method == "fip":
            self.ratios[TARGET] = FIP_MASK_TARGET
            depths[TARGET] = z["target_dec_depth"]
            self.weights[TARGET] = FIP_WEIGHT_TARGET
        self.decoders = nn.ModuleList(
            [Decoder(z, c, dep) for c, dep in zip(CHANNELS, depths)])
        self.encoder = Encoder(z, CHANNELS)

    def forward(self, inputs, targets, noises):
        z, p = self.z, self.z["patch"]
        tokens, segs = [], []
        for m, (imgs, noise) in enumerate(zip(inputs, noises)):
            x = self.encoder.embed(m, imgs, p)
            b, l, d = x.shape
            keep = min(max(round(l * (1 - self.ratios[m])), 1), l)
            ids_shuffle = torch.argsort(noise, dim=1)
            ids_restore = torch.argsort(ids_shuffle, dim=1)
            ids_keep = ids_shuffle[:, :keep]
            tokens.append(torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, d)))
            mask = torch.ones(b, l)
            mask[:, :keep] = 0
            segs.append((keep, ids_restore, torch.gather(mask, 1, ids_restore)))
        latent = self.encoder(torch.cat(tokens, dim=1))
        total, offset = 0.0, 1
        for m, (keep, ids_restore, mask) in enumerate(segs):
            dec = self.decoders[m]
            y = dec.embed(latent[:, offset:offset + keep])
            offset += keep
            b, _, dd = y.shape
            l = ids_restore.shape[1]
            y = torch.cat([y, dec.mask_token.expand(b, l - keep, -1)], dim=1)
            y = torch.gather(y, 1, ids_restore.unsqueeze(-1).expand(-1, -1, dd))
            y = y + dec.pos_embed
            for blk in dec.blocks:
                y = blk(y)
            pred = dec.pred(dec.norm(y))
            per_patch = ((pred - patchify(targets[m], p)) ** 2).mean(dim=-1)
            loss = (per_patch * mask).sum() / mask.sum().clamp_min(1.0)
            total = total + self.weights[m] * loss
        return total


class Classifier(nn.Module):
    """Target patch embedding + shared encoder, mean-pooled patch tokens, LN, MLP head."""

    def __init__(self, mae):
        super().__init__()
        self.encoder = mae.encoder
        d = mae.z["dim"]
        self.p = mae.z["patch"]
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.fc1 = nn.Linear(d, HEAD_HIDDEN)
        self.fc2 = nn.Linear(HEAD_HIDDEN, CLASSES)

    def forward(self, imgs):
        x = self.encoder(self.encoder.embed(TARGET, imgs, self.p))
        pooled = x[:, 1:].mean(dim=1)
        return self.fc2(F.gelu(self.fc1(self.norm(pooled))))


def rss_mib(field="VmRSS:"):
    """Resident memory of this process from /proc/self/status, MiB (None elsewhere)."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def matmul_bench(path, reps):
    """GFLOP/s of torch.bmm on each shape that `fipmae bench matmul --json` wrote to `path`
    (its one table of shapes, trainer/src/tools/bench.rs::MATMUL_SHAPES), one JSON line each."""
    rows = [json.loads(l) for l in open(path) if l.startswith("{")]
    with torch.inference_mode():
        for name, (batch, m, k, n) in ((r["name"], r["shape"]) for r in rows if r["side"] == "burn"):
            a, b = torch.rand(batch, m, k), torch.rand(batch, k, n)
            for _ in range(3):
                torch.bmm(a, b)
            t = time.perf_counter()
            for _ in range(reps):
                torch.bmm(a, b)
            secs = (time.perf_counter() - t) / reps
            print(json.dumps(dict(side="pytorch", name=name, gflops=2 * batch * m * k * n / secs / 1e9)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="small", choices=PRESETS)
    ap.add_argument("--method", default="fip", choices=["denomae", "fip"])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--profile", action="store_true",
                    help="also profile the pretraining steps (torch.profiler) to stderr")
    ap.add_argument("--matmul", metavar="JSONL",
                    help="time the matrix products alone, with the shapes that "
                         "`fipmae bench matmul --json` wrote to this file")
    args = ap.parse_args()
    if args.matmul:
        torch.set_num_threads(args.threads)
        matmul_bench(args.matmul, 20)
        return
    start_rss = rss_mib()  # after importing torch (its CUDA libraries are mapped, unused)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    mae = FipMae(args.preset, args.method)
    z, b = mae.z, args.batch_size
    # parameters as the Rust model counts them: every modality's patch embedding and type
    # embedding; the classifier's own head is not part of the autoencoder
    params = sum(t.numel() for t in mae.parameters())
    shape = lambda c: (b, c, z["image"], z["image"])
    l = (z["image"] // z["patch"]) ** 2
    inputs = [torch.rand(shape(c)) for c in CHANNELS]
    targets = [torch.rand(shape(c)) for c in CHANNELS]
    noises = [torch.rand(b, l) for _ in CHANNELS]
    opt = torch.optim.AdamW(mae.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)

    phases = [0.0, 0.0, 0.0]  # forward, backward, optimizer (eager: each runs when called)

    def step(acc):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = mae(inputs, targets, noises)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        for i, d in enumerate((t1 - t0, t2 - t1, t3 - t2)):
            acc[i] += d

    for _ in range(2):
        step([0.0] * 3)
    t = time.perf_counter()
    for _ in range(args.steps):
        step(phases)
    pretrain = args.steps * b / (time.perf_counter() - t)
    if args.profile:
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(args.steps):
                step([0.0] * 3)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25), file=sys.stderr)

    cls = Classifier(mae).eval()
    imgs = torch.rand(shape(CHANNELS[TARGET]))
    with torch.inference_mode():
        cls(imgs)
        t = time.perf_counter()
        for _ in range(args.steps):
            cls(imgs)
        classify = args.steps * b / (time.perf_counter() - t)
    peak_mib = rss_mib("VmHWM:") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(side="pytorch", version=torch.__version__, preset=args.preset,
                          method=args.method, batch=b, threads=torch.get_num_threads(),
                          params=params, pretrain_examples_per_s=round(pretrain, 2),
                          classify_examples_per_s=round(classify, 2),
                          peak_rss_mib=round(peak_mib, 1),
                          start_rss_mib=start_rss and round(start_rss, 1),
                          forward_ms=round(phases[0] * 1e3 / args.steps, 2),
                          backward_ms=round(phases[1] * 1e3 / args.steps, 2),
                          optimizer_ms=round(phases[2] * 1e3 / args.steps, 2))))


if __name__ == "__main__":
    main()
