#!/usr/bin/env python3
"""One epoch of the snnTorch tutorial setup on Fashion-MNIST, in plain torch.

The accuracy reference for examples/fashion-mnist-lif.yaml: 784-1000-10,
snnTorch Leaky (beta 0.95, threshold 1, delayed detached subtract reset,
fast-sigmoid slope 25), T=25 Bernoulli rate coding, batch 128 (shuffled,
drop_last like the snnTorch tutorials), Adam 5e-4, ce_rate loss (per-step
cross-entropy of the output spikes, averaged over T); test accuracy from the
argmax of spike counts. Prints one JSON line per seed.

usage: python3 torch_fashion.py [--seeds 42,1,2] [--dir /usr/share/datasets/fashion-mnist]
"""
import argparse
import gzip
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_lif import lif_seq  # same LIF math as the benchmark reference


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="42,1,2")
    ap.add_argument("--dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    xtr = torch.tensor(idx(f"{a.dir}/train-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
    ytr = torch.tensor(idx(f"{a.dir}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xte = torch.tensor(idx(f"{a.dir}/t10k-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
    yte = torch.tensor(idx(f"{a.dir}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    for seed in [int(s) for s in a.seeds.split(",")]:
        torch.manual_seed(seed)
        fc1, fc2 = nn.Linear(784, 1000), nn.Linear(1000, 10)
        opt = torch.optim.Adam(list(fc1.parameters()) + list(fc2.parameters()), lr=5e-4, betas=(0.9, 0.999))

        def forward(x):
            s = torch.bernoulli(x.unsqueeze(0).expand(25, *x.shape))
            return lif_seq(fc2(lif_seq(fc1(s))))

        t0 = time.time()
        perm = torch.randperm(len(xtr))
        for i in range(len(xtr) // 128):
            b = perm[i * 128:(i + 1) * 128]
            spk = forward(xtr[b])
            loss = sum(F.cross_entropy(spk[t], ytr[b]) for t in range(25)) / 25
            opt.zero_grad()
            loss.backward()
            opt.step()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(xte), 1000):
                correct += (forward(xte[i:i + 1000]).sum(0).argmax(1) == yte[i:i + 1000]).sum().item()
        print(json.dumps({"seed": seed, "test_accuracy": correct / len(xte), "seconds": time.time() - t0}), flush=True)


if __name__ == "__main__":
    main()
