#!/usr/bin/env python3
"""PyTorch reference for spikeflow's benchmark suite (bench/run.ts).

Implements the same computations as the spikeflow workloads with torch only
(no snnTorch), so the two can be timed side by side on one machine:

  a  GEMM forms of the 784-1000-10 net (NT forward, NN dX, TN dW)
  b  training step of the 784-1000-10 LIF net (T=25, B=128, ce_rate, Adam),
     plus the hidden layer's LIF scan forward and BPTT backward alone
  c  inference (no_grad) of the same net
  d  dense vs sparse (CSR) propagation of [3200, 784] spikes through 784->1000
  e  conv SNN training step (28x28, T=8, B=32)
  f  streaming latency per time step, batch 1
  h  learnable-delay layer (DCLS Gaussian kernel + causal conv1d), forward and
     backward to the input, weights and positions, T=100+12, I=140, O=256, K=25
  i  spiking-transformer training steps (the FMNIST Spikformer and SDT examples, T=4, B=64)
  j  SpikeGPT (examples/kjv-spikegpt.yaml): a training step (T=128, B=16) and one generated token
     (torch_spikegpt.py)
  k  the Open Neuromorphic SNN library benchmark: Linear(n, n) + snnTorch Leaky(beta=0.95), input
     randn [500, 16, n], forward and the backward of output.sum() timed apart (--onm-neurons n)

LIF is snnTorch's Leaky with beta=0.95, threshold 1, delayed subtract reset
(reset = H(mem[t-1] - 1), detached), fast-sigmoid surrogate with slope 25,
written as a Python loop over T with a custom autograd.Function for the spike.

Case ids match bench/run.ts. Prints one JSON object on stdout.
"""

import argparse
import json
import math
import statistics
import sys
import time
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

T, B = 25, 128
IN, HID, OUT = 784, 1000, 10
BETA, THETA, SLOPE = 0.95, 1.0, 25.0
INPUT_DENSITY = 0.15
LR = 5e-4

# torch 1.13 warns that CSR support is beta on first use; the output is JSON, keep stderr to progress lines.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")


class FastSigmoidSpike(torch.autograd.Function):
    """Heaviside forward, fast-sigmoid surrogate backward: g / (k|x| + 1)^2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (SLOPE * x.abs() + 1.0) ** 2


spike = FastSigmoidSpike.apply


def lif_step(cur, mem):
    # Delayed subtract reset; the comparison carries no gradient (detached reset).
    reset = (mem > THETA).to(cur.dtype)
    mem = BETA * mem + cur - reset * THETA
    return spike(mem - THETA), mem


def lif_seq(cur):
    """cur: [T, ...] input current -> spikes [T, ...], zero initial membrane."""
    mem = torch.zeros_like(cur[0])
    out = []
    # unbind, not cur[t]: the backward of T separate index ops would build T full-size
    # zero gradients (O(T^2) memory traffic); unbind's backward is a single stack.
    for c in cur.unbind(0):
        s, mem = lif_step(c, mem)
        out.append(s)
    return torch.stack(out)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(IN, HID)
        self.fc2 = nn.Linear(HID, OUT)

    def forward(self, x):
        # nn.Linear folds the [T, B] leading dimensions into one GEMM, as spikeflow does.
        return lif_seq(self.fc2(lif_seq(self.fc1(x))))


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5)
        self.conv2 = nn.Conv2d(16, 32, 5)
        self.fc = nn.Linear(512, 10)

    def forward(self, x):
        t, b = x.shape[:2]
        h = F.max_pool2d(self.conv1(x.flatten(0, 1)), 2)
        s = lif_seq(h.view(t, b, 16, 12, 12))
        h = F.max_pool2d(self.conv2(s.flatten(0, 1)), 2)
        s = lif_seq(h.view(t, b, 32, 4, 4))
        return lif_seq(self.fc(s.flatten(2)))


def ce_rate(spk, y):
    """snnTorch ce_rate_loss: cross-entropy at every step, averaged over T (and the batch)."""
    t, b, c = spk.shape
    return F.cross_entropy(spk.reshape(t * b, c), y.repeat(t))


def rate_input(steps, batch, features, density):
    p = torch.rand(batch, features) * (2 * density)
    return torch.bernoulli(p.expand(steps, batch, features).contiguous())


def reps(quick, kind):
    if quick:
        return (1 if kind == "light" else 0), (2 if kind == "light" else 1)
    return {"heavy": (2, 9), "medium": (1, 5), "light": (2, 7)}[kind]


def measure(fn, warmup, n, inner=1):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(max(1, n)):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) * 1000.0 / inner)
    return samples


def record(results, workload, case, samples, flops=None, note=None, scale=1.0):
    s = [x * scale for x in samples]
    r = {
        "workload": workload,
        "case": case,
        "medianMs": statistics.median(s),
        "minMs": min(s),
        "maxMs": max(s),
        "reps": len(s),
    }
    if flops is not None:
        r["flops"] = flops
    if note:
        r["note"] = note
    results.append(r)
    print(f"  torch {workload}.{case}: {r['medianMs']:.2f} ms", file=sys.stderr)


def bench_gemm(results, quick):
    R = T * B
    cases = [
        (f"gemm-nt-{B}x{IN}x{HID}", "nt", B, HID, IN, "medium"),
        (f"gemm-nt-{R}x{IN}x{HID}", "nt", R, HID, IN, "heavy"),
        (f"gemm-nn-dX-{R}x{HID}x{IN}", "nn", R, IN, HID, "heavy"),
        (f"gemm-tn-dW-{HID}x{IN}x{R}", "tn", HID, IN, R, "heavy"),
    ]
    for name, form, M, N, K, kind in cases:
        C = torch.empty(M, N)
        if form == "nt":
            A, Bm = torch.rand(M, K), torch.rand(N, K)
            fn = lambda: torch.mm(A, Bm.t(), out=C)
        elif form == "nn":
            A, Bm = torch.rand(M, K), torch.rand(K, N)
            fn = lambda: torch.mm(A, Bm, out=C)
        else:
            A, Bm = torch.rand(K, M), torch.rand(K, N)
            fn = lambda: torch.mm(A.t(), Bm, out=C)
        w, n = reps(quick, kind)
        record(results, "a", name, measure(fn, w, n))


def bench_train(results, quick):
    net = Mlp()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    x = rate_input(T, B, IN, INPUT_DENSITY)
    y = torch.randint(0, OUT, (B,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = ce_rate(net(x), y)
        loss.backward()
        opt.step()

    w, n = reps(quick, "heavy")
    record(results, "b", "train-step-784-1000-10", measure(step, w, n))

    with torch.no_grad():
        cur = net.fc1(x)
    w, n = reps(quick, "light")

    def scan_fwd():
        with torch.no_grad():
            lif_seq(cur)

    record(results, "b", f"lif-scan-fwd-{T}x{B}x{HID}", measure(scan_fwd, w, n), note="Python loop over T, no_grad")
    cur_g = cur.clone().requires_grad_(True)
    spk = lif_seq(cur_g)
    g = (torch.rand_like(spk) - 0.5) * 2e-3

    def scan_bwd():
        cur_g.grad = None
        spk.backward(g, retain_graph=True)

    record(results, "b", f"lif-scan-bwd-{T}x{B}x{HID}", measure(scan_bwd, w, n), note="autograd backward through the T-step graph")


def bench_infer(results, quick):
    net = Mlp()
    x = rate_input(T, B, IN, INPUT_DENSITY)

    def fwd():
        with torch.no_grad():
            net(x)

    w, n = reps(quick, "medium")
    record(results, "c", "infer-784-1000-10", measure(fwd, w, n))


def bench_density(results, quick):
    M = T * B
    W = (torch.rand(HID, IN) * 2 - 1) / IN**0.5
    b = (torch.rand(HID) * 2 - 1) / IN**0.5
    Wt = W.t().contiguous()
    Y = torch.empty(M, HID)
    for p in (0.02, 0.1, 0.3):
        pct = f"{round(p * 100)}pct"
        X = rate_input(T, B, IN, p).reshape(M, IN)
        nnz = int(X.count_nonzero())
        wh, nh = reps(quick, "heavy")
        wm, nm = reps(quick, "medium")
        record(results, "d", f"gemm-dense-{pct}", measure(lambda: torch.mm(X, Wt, out=Y), wh, nh))
        try:
            Xs = X.to_sparse_csr()
            record(results, "d", f"gemm-event-{pct}", measure(lambda: torch.sparse.mm(Xs, Wt), wm, nm),
                   flops=2 * nnz * HID, note="CSR @ dense, input already in CSR")
        except (RuntimeError, NotImplementedError) as e:  # sparse kernels missing in some builds
            print(f"  torch d.gemm-event-{pct}: unavailable ({e})", file=sys.stderr)
        with torch.no_grad():
            record(results, "d", f"linear-dense-{pct}", measure(lambda: F.linear(X, W, b), wh, nh))
            try:
                fn = lambda: torch.sparse.mm(X.to_sparse_csr(), Wt) + b
                record(results, "d", f"linear-event-{pct}", measure(fn, wm, nm),
                       flops=2 * nnz * HID + M * HID, note="to_sparse_csr + CSR @ dense + bias")
            except (RuntimeError, NotImplementedError) as e:
                print(f"  torch d.linear-event-{pct}: unavailable ({e})", file=sys.stderr)


def bench_conv(results, quick):
    net = ConvNet()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    x = rate_input(8, 32, 784, INPUT_DENSITY).view(8, 32, 1, 28, 28)
    y = torch.randint(0, 10, (32,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = ce_rate(net(x), y)
        loss.backward()
        opt.step()

    w, n = reps(quick, "medium")
    record(results, "e", "conv-train-step", measure(step, w, n))


def bench_stream(results, quick):
    net = Mlp()
    seq = rate_input(T, 1, IN, INPUT_DENSITY)
    steps = [seq[t].clone() for t in range(T)]
    W1, b1, W2, b2 = net.fc1.weight, net.fc1.bias, net.fc2.weight, net.fc2.bias

    def sequence():
        with torch.no_grad():
            m1 = torch.zeros(1, HID)
            m2 = torch.zeros(1, OUT)
            for x in steps:
                s1, m1 = lif_step(F.linear(x, W1, b1), m1)
                _, m2 = lif_step(F.linear(s1, W2, b2), m2)

    w, n = reps(quick, "light")
    record(results, "f", "stream-step-b1", measure(sequence, w, n, inner=1 if quick else 4), scale=1.0 / T)


# (h) Learnable delays (DCLS, Hammouamri et al. 2024) at the SHD configuration.
DT, DTAIL, DIN, DOUT, DK = 100, 12, 140, 256, 25


def dcls_gauss_kernel(w, p, sig, k):
    """The Gaussian kernel [O, I, K] as DCLS's ConstructKernel1d.forward_vgauss builds it (kernel_count 1):
    tap centres p + K // 2, sigma |sig| + 0.27, each synapse's taps normalised by their sum + 1e-7, times w."""
    idx = torch.arange(k, dtype=w.dtype).view(k, 1, 1)
    x = (idx - (p + k // 2)) / (sig.abs() + 0.27)
    g = torch.exp(-0.5 * x * x)
    g = g / (g.sum(0) + 1e-7)
    return (g * w).permute(1, 2, 0)


def bench_delay(results, quick):
    for batch in (32, 128):
        w = ((torch.rand(DOUT, DIN) * 2 - 1) * math.sqrt(6 / DIN)).requires_grad_()
        p = ((torch.rand(DOUT, DIN) * 2 - 1) * (DK // 2)).requires_grad_()
        sig = torch.full((DOUT, DIN), float(DK // 2))
        # Hidden-layer input: spikes, [B, I, T] with K - 1 zero steps in front (causal) and the tail behind.
        x = (torch.rand(batch, DIN, DT) < 0.1).float().requires_grad_()
        gy = torch.randn(batch, DOUT, DT + DTAIL)

        def step():
            w.grad = p.grad = x.grad = None
            kern = dcls_gauss_kernel(w, p, sig, DK)
            y = F.conv1d(F.pad(x, (DK - 1, DTAIL)), kern)
            y.backward(gy)

        samples = measure(step, *reps(quick, "medium"))
        record(results, "h", f"delay-fwd-bwd-b{batch}", samples)


# (i) Spiking-transformer training steps: the layer lists of examples/fashion-mnist-spikformer.yaml and
# examples/fashion-mnist-sdt.yaml, read from those files and built here in PyTorch, so both sides run the
# same model. Neurons: SpikingJelly's MultiStepLIFNode (H = V + (X - V)/tau, spike at H >= v_th, hard reset
# to 0, detach_reset, Sigmoid(alpha=4) surrogate) as a Python loop over T, which is what SpikingJelly's
# 'torch' backend does on a CPU. Token maps stay channel-major [T*B, C, N] (1x1 conv = the references'
# Linear over tokens); SSA computes q @ (k^T @ v) * scale as Meta-SpikeFormer does (same values).

class SigmoidSpikeGE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(4.0 * x)
        return g * 4.0 * s * (1 - s)


class LIFNode(nn.Module):
    def __init__(self, tau=2.0, v_th=1.0):
        super().__init__()
        self.tau, self.v_th = tau, v_th

    def forward(self, x):  # [T, B, ...]
        v = torch.zeros_like(x[0])
        out = []
        for t in range(x.shape[0]):
            h = v + (x[t] - v) / self.tau
            s = SigmoidSpikeGE.apply(h - self.v_th)
            v = h * (1 - s.detach())
            out.append(s)
        return torch.stack(out)


class Folded(nn.Module):
    """A stateless layer applied to [T, B, ...] with T*B folded into the batch."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        y = self.m(x.flatten(0, 1))
        return y.reshape(x.shape[0], x.shape[1], *y.shape[1:])


class Residual(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


class Attention(nn.Module):
    """SSA ('product') or SDSA ('mask') on [T, B, C, H, W], as src/nn/attention.ts."""

    def __init__(self, C, heads, mask, qkv_bias, shortcut, scale=0.125, th=0.5):
        super().__init__()
        self.heads, self.mask, self.shortcut, self.scale = heads, mask, shortcut, scale
        conv = lambda b: nn.Conv1d(C, C, 1, bias=b)
        self.q, self.k, self.v = (nn.ModuleList([conv(qkv_bias), nn.BatchNorm1d(C), LIFNode()]) for _ in range(3))
        self.proj = nn.ModuleList([conv(True), nn.BatchNorm1d(C)] + ([] if shortcut else [LIFNode()]))
        self.in_lif = LIFNode() if shortcut else None
        self.attn_lif = LIFNode(v_th=th)

    @staticmethod
    def branch(ms, x):  # x [T, B, C, N]
        T, B = x.shape[:2]
        y = ms[1](ms[0](x.flatten(0, 1))).reshape(T, B, *x.shape[2:])
        return ms[2](y) if len(ms) > 2 else y

    def forward(self, x):
        T, B, C = x.shape[:3]
        h = x.flatten(3)
        N = h.shape[3]
        if self.in_lif is not None:
            h = self.in_lif(h)
        q, k, v = self.branch(self.q, h), self.branch(self.k, h), self.branch(self.v, h)
        if self.mask:
            m = self.attn_lif((k * v).sum(3))
            a = q * m.unsqueeze(3)
        else:
            th = lambda z: z.reshape(T, B, self.heads, C // self.heads, N).transpose(3, 4)
            a = th(q) @ (th(k).transpose(-2, -1) @ th(v)) * self.scale
            a = self.attn_lif(a.transpose(3, 4).reshape(T, B, C, N))
        return self.branch(self.proj, a).reshape(x.shape)


def build_layers(specs, shape, T):
    """nn.Sequential from a spikeflow layer list; `shape` is the per-sample [C, H, W]. Returns (module, shape)."""
    mods = []
    for sp in specs:
        t = sp["type"]
        if t == "conv2d":
            k, p = sp["kernel_size"], sp.get("padding", 0)
            mods.append(Folded(nn.Conv2d(shape[0], sp["out_channels"], k, padding=p, bias=sp.get("bias", True))))
            shape = [sp["out_channels"], shape[1] + 2 * p - k + 1, shape[2] + 2 * p - k + 1]
        elif t == "batchnorm":
            mods.append(Folded(nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])))
        elif t == "maxpool2d":
            k = sp["kernel_size"]
            mods.append(Folded(nn.MaxPool2d(k)))
            shape = [shape[0], shape[1] // k, shape[2] // k]
        elif t == "lifnode":
            mods.append(LIFNode(sp.get("tau", 2.0), sp.get("threshold", 1.0)))
        elif t == "residual":
            body, _ = build_layers(sp["layers"], shape, T)
            mods.append(Residual(body))
        elif t == "block":
            for _ in range(sp.get("repeat", 1)):
                b, shape = build_layers(sp["layers"], shape, T)
                mods.append(b)
        elif t in ("ssa", "sdsa"):
            ssa = t == "ssa"
            mods.append(Attention(shape[0], sp.get("heads", 8), not ssa, sp.get("qkv_bias", ssa), sp.get("membrane_shortcut", not ssa)))
        elif t == "global_avgpool":
            mods.append(Folded(nn.Flatten(2)))
            mods.append(MeanLast())
            shape = [shape[0]]
        elif t == "linear":
            mods.append(Folded(nn.Linear(shape[0], sp["out"])))
            shape = [sp["out"]]
        else:
            raise ValueError(f"torch reference: layer type {t} not supported")
    return nn.Sequential(*mods), shape


class MeanLast(nn.Module):
    def forward(self, x):
        return x.mean(-1)


class DirectTransformer(nn.Module):
    """Direct coding as spikeflow's builder does it: layers before the first neuron run once, then repeat over T."""

    def __init__(self, specs, T):
        super().__init__()
        first = next(i for i, sp in enumerate(specs) if sp["type"] == "lifnode")
        self.pre, shape = build_layers(specs[:first], [1, 28, 28], 1)
        self.post, _ = build_layers(specs[first:], shape, T)
        self.T = T

    def forward(self, x):  # x [B, 1, 28, 28]
        h = self.pre(x.unsqueeze(0))
        h = h.repeat(self.T, *([1] * (h.dim() - 1)))
        return self.post(h).mean(0)


def bench_transformer(results, quick):
    try:
        import os
        import yaml
    except ImportError as e:
        print(f"  torch i: unavailable ({e}: the models are read from the example YAML files)", file=sys.stderr)
        return
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
    for case, fname in (("spikformer-train-step", "fashion-mnist-spikformer.yaml"), ("sdt-train-step", "fashion-mnist-sdt.yaml")):
        with open(os.path.join(root, fname)) as f:
            specs = yaml.safe_load(f)["model"]["layers"]
        net = DirectTransformer(specs, 4)
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)
        x = torch.rand(64, 1, 28, 28)
        y = torch.randint(0, 10, (64,))

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(x), y).backward()
            opt.step()

        w, n = reps(quick, "heavy")
        record(results, "i", case, measure(step, w, n))


# (k) The Open Neuromorphic "SNN library benchmarks" workload (open-neuromorphic.org, 2023/2024; harness:
# docker/run_benchmark.py beside the post): nn.Linear(n, n) and snnTorch's Leaky(beta=0.95) with its
# defaults (threshold 1, subtract reset delayed one step and detached, arctan surrogate alpha = 2), input
# randn [T=500, B=16, n]; forward timed, then loss = output.sum() and its backward timed apart. The
# harness's snnTorch model calls fc on every time step inside its loop; here nn.Linear takes the whole
# [T, B, n] input as one GEMM, as spikeflow does, and the LIF is the Python loop over T.
ONM_T, ONM_B, ONM_BETA, ATAN_ALPHA = 500, 16, 0.95, 2.0


class ATanSpike(torch.autograd.Function):
    """Heaviside forward, snnTorch's atan() surrogate backward: g * (alpha/2) / (1 + (pi/2 * alpha * x)^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (ATAN_ALPHA / 2) / (1.0 + (math.pi / 2 * ATAN_ALPHA * x) ** 2)


def onm_forward(fc, x):
    cur = fc(x)
    mem = torch.zeros_like(cur[0])
    out = []
    for c in cur.unbind(0):
        reset = (mem > THETA).to(c.dtype)  # H(mem[t-1] - theta), no gradient (snnTorch's mem_reset detaches)
        mem = ONM_BETA * mem + c - reset * THETA
        out.append(ATanSpike.apply(mem - THETA))
    return torch.stack(out)


def bench_onm(results, quick, n):
    fc = nn.Linear(n, n)
    x = torch.randn(ONM_T, ONM_B, n)
    if quick:
        warmup, n_reps = 0, 1
    else:
        # At the published widths a pass takes tens of seconds: the harness's minimum of three runs after one warm-up.
        warmup, n_reps = (1, 3) if n >= 4096 else (1, 7)
    fwd, bwd, density = [], [], 0.0
    for i in range(warmup + n_reps):
        fc.weight.grad = fc.bias.grad = None
        t0 = time.perf_counter()
        out = onm_forward(fc, x)
        t1 = time.perf_counter()
        out.sum().backward()
        t2 = time.perf_counter()
        if i >= warmup:
            fwd.append((t1 - t0) * 1000.0)
            bwd.append((t2 - t1) * 1000.0)
        density = float(out.detach().mean())
        del out
    note = f"nn.Linear over [T, B, n] (one GEMM), LIF loop over T; spike density {density:.4f}"
    record(results, "k", f"onm-forward-n{n}", fwd, note=note)
    record(results, "k", f"onm-backward-n{n}", bwd, note=note)


def bench_spikegpt(results, quick):
    # The SpikeGPT reference lives in its own file (same folder, on sys.path as the script's directory).
    import torch_spikegpt

    torch_spikegpt.bench(results, quick, measure, reps, record)


BENCHES = {"a": bench_gemm, "b": bench_train, "c": bench_infer, "d": bench_density, "e": bench_conv, "f": bench_stream, "h": bench_delay, "i": bench_transformer, "j": bench_spikegpt, "k": bench_onm}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1 or 2 on this machine)")
    ap.add_argument("--workloads", default="a,b,c,d,e,f,h,i,j,k", help="comma-separated subset of a,b,c,d,e,f,h,i,j,k")
    ap.add_argument("--onm-neurons", type=int, default=1024, help="width n of workload k (the published benchmark: 16384)")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (smoke test)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    wanted = [w for w in args.workloads.split(",") if w]
    unknown = [w for w in wanted if w not in BENCHES]
    if unknown:
        ap.error(f"unknown workload(s) {','.join(unknown)} (known: {','.join(BENCHES)})")
    results = []
    for w in wanted:
        if w == "k":
            bench_onm(results, args.quick, args.onm_neurons)
        else:
            BENCHES[w](results, args.quick)
    json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
