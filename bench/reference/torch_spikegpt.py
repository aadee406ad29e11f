"""PyTorch reference of bench workload j: the SpikeGPT model of examples/kjv-spikegpt.yaml.

The same math as spikeflow's layers (docs/spikegpt.md): embedding 73 -> 256,
4 blocks of x <- LN0(x) (first block); x <- x + LIF(TimeMix(LN1(x)));
x <- x + LIF(ChannelMix(LN2(x))), then LN and a linear head to 73 logits.
The WKV recurrence is the running-max form over the state (aa, bb, pp) as a
Python loop over the tokens (RWKV-4's CPU path, vectorised over batch and
channels), the LIF SpikingJelly's LIF node (tau 2, threshold 1, hard reset,
arctan surrogate alpha 2) as a loop over the tokens; autograd differentiates
both. Loss: next-token cross-entropy + L2Wrap 1e-4, gradients clipped to 1,
Adam (betas 0.9, 0.99).

Called from torch_lif.py (workload j) with its timing helpers.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, D, BLOCKS, FFN = 73, 256, 4, 4
T, B = 128, 16


class ArctanSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        alpha = 2.0
        return g * (alpha / 2) / (1 + (math.pi / 2 * alpha * x) ** 2)


class Lif(nn.Module):
    """LIF over [T, B, C] with a state carried across calls (None: fresh)."""

    def __init__(self):
        super().__init__()
        self.v = None

    def forward(self, x):
        v = self.v if self.v is not None else torch.zeros_like(x[0])
        out = []
        for t in range(x.shape[0]):
            h = v + (x[t] - v) / 2.0
            s = ArctanSpike.apply(h - 1.0)
            v = h * (1 - s)
            out.append(s)
        self.v = v.detach()
        return torch.stack(out)


def wkv(k, v, w, u, state):
    """k, v [T, B, C]; w = exp(time_decay), u [C]; state (aa, bb, pp) [B, C] each or None."""
    if state is None:
        aa = torch.zeros_like(k[0])
        bb = torch.zeros_like(k[0])
        pp = torch.full_like(k[0], -1e38)
    else:
        aa, bb, pp = state
    ys = []
    for t in range(k.shape[0]):
        kt, vt = k[t], v[t]
        ww = u + kt
        p = torch.maximum(pp, ww)
        e1, e2 = torch.exp(pp - p), torch.exp(ww - p)
        ys.append((e1 * aa + e2 * vt) / (e1 * bb + e2))
        ws = pp - w
        q = torch.maximum(ws, kt)
        e1, e2 = torch.exp(ws - q), torch.exp(kt - q)
        aa = e1 * aa + e2 * vt
        bb = e1 * bb + e2
        pp = q
    return torch.stack(ys), (aa.detach(), bb.detach(), pp.detach())


def shift(x, prev):
    first = prev.unsqueeze(0) if prev is not None else torch.zeros_like(x[:1])
    return torch.cat([first, x[:-1]], 0)


class TimeMix(nn.Module):
    def __init__(self, layer):
        super().__init__()
        r01 = layer / (BLOCKS - 1)
        r10 = 1 - layer / BLOCKS
        c = torch.arange(D, dtype=torch.float32)
        self.time_decay = nn.Parameter(-5 + 8 * (c / (D - 1)) ** (0.7 + 1.3 * r01))
        self.time_first = nn.Parameter(math.log(0.3) + (((c + 1) % 3) - 1) * 0.5)
        self.mk = nn.Parameter((c / D) ** r10)
        self.mv = nn.Parameter((c / D) ** r10 + 0.3 * r01)
        self.mr = nn.Parameter((c / D) ** (0.5 * r10))
        self.key, self.value, self.receptance, self.output = (nn.Linear(D, D, bias=False) for _ in range(4))
        self.prev = None
        self.state = None

    def forward(self, x):
        xx = shift(x, self.prev)
        k = self.key(self.mk * x + (1 - self.mk) * xx)
        v = self.value(self.mv * x + (1 - self.mv) * xx)
        r = self.receptance(self.mr * x + (1 - self.mr) * xx)
        y, self.state = wkv(k, v, torch.exp(self.time_decay), self.time_first, self.state)
        self.prev = x[-1].detach()
        return self.output(torch.sigmoid(r) * y)


class ChannelMix(nn.Module):
    def __init__(self, layer):
        super().__init__()
        r10 = 1 - layer / BLOCKS
        c = torch.arange(D, dtype=torch.float32)
        self.mk = nn.Parameter((c / D) ** r10)
        self.mr = nn.Parameter((c / D) ** r10)
        self.key = nn.Linear(D, FFN * D, bias=False)
        self.receptance = nn.Linear(D, D, bias=False)
        self.value = nn.Linear(FFN * D, D, bias=False)
        self.prev = None

    def forward(self, x):
        xx = shift(x, self.prev)
        self.prev = x[-1].detach()
        k = torch.relu(self.key(self.mk * x + (1 - self.mk) * xx)) ** 2
        return torch.sigmoid(self.receptance(self.mr * x + (1 - self.mr) * xx)) * self.value(k)


class Block(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.ln0 = nn.LayerNorm(D) if layer == 0 else None
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.att, self.ffn = TimeMix(layer), ChannelMix(layer)
        self.lif1, self.lif2 = Lif(), Lif()

    def forward(self, x):
        if self.ln0 is not None:
            x = self.ln0(x)
        x = x + self.lif1(self.att(self.ln1(x)))
        return x + self.lif2(self.ffn(self.ln2(x)))


class SpikeGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, D)
        self.blocks = nn.ModuleList(Block(i) for i in range(BLOCKS))
        self.ln = nn.LayerNorm(D)
        self.head = nn.Linear(D, VOCAB, bias=False)

    def reset(self):
        for b in self.blocks:
            b.att.prev = b.att.state = b.ffn.prev = None
            b.lif1.v = b.lif2.v = None

    def forward(self, ids):  # [T, B]
        x = self.emb(ids)
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln(x))


class L2Wrap(torch.autograd.Function):
    @staticmethod
    def forward(ctx, loss, logits):
        ctx.save_for_backward(logits)
        return loss

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        factor = 1e-4 / (y.shape[0] * y.shape[1])
        m, i = torch.max(y, -1, keepdim=True)
        gy = torch.zeros_like(y).scatter_(-1, i, m * factor)
        return g, gy


def bench(results, quick, measure, reps, record):
    torch.manual_seed(3)
    model = SpikeGPT()
    opt = torch.optim.Adam(model.parameters(), lr=6e-4, betas=(0.9, 0.99))
    x = torch.randint(0, VOCAB, (T, B))
    y = torch.randint(0, VOCAB, (T, B))

    def step():
        model.reset()
        logits = model(x)
        loss = L2Wrap.apply(F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1)), logits)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        model.reset()

    w, n = reps(quick, "heavy")
    record(results, "j", "spikegpt-train-step", measure(step, w, n))

    tokens = torch.randint(0, VOCAB, (128, 1, 1))

    def generate():
        with torch.no_grad():
            model.reset()
            for t in tokens:
                model(t.view(1, 1))
            model.reset()

    w, n = reps(quick, "medium")
    record(results, "j", "spikegpt-generate-token", measure(generate, w, n), scale=1.0 / 128)
