#!/usr/bin/env python3
"""Derives the constants of kernels/exp.mjs and checks the method's accuracy.

Not part of the build (the constants are committed in kernels/exp.mjs); a record
of where they come from. Needs mpmath:  python3 kernels/exp-fit.py
1. LN2_HI = ln 2 truncated to 32 significant bits, LN2_LO = ln 2 - LN2_HI.
2. Q(r) ~ (e^r - 1 - r)/r^2 on |r| <= 1.0005 ln2/2: minimax polynomial of
   degree 9 by the Remez exchange (absolute error, 50 digits), rounded to double.
3. The method of kernels/exp.mjs in Python floats (IEEE doubles, no fused
   multiply-add) against 40-digit exp on 10^5 random points: max error in ulps
   and the share of correctly rounded results.
"""
import math
import random
import struct

import mpmath as mp

mp.mp.dps = 50
LN2 = mp.log(2)
LN2_HI = math.ldexp(math.floor(math.ldexp(float(LN2), 32)), -32)
LN2_LO = float(LN2 - mp.mpf(LN2_HI))

DEG = 9
L = LN2 / 2 * mp.mpf('1.0005')


def target(r):
    return mp.mpf(1) / 2 + r / 6 if abs(r) < mp.mpf('1e-20') else (mp.exp(r) - 1 - r) / (r * r)


def remez():
    n = DEG + 2
    xs = sorted(L * mp.cos(mp.pi * (2 * i + 1) / (2 * n)) for i in range(n))
    grid = [-L + 2 * L * j / 4000 for j in range(4001)]
    for _ in range(30):
        # Solve sum_j c_j x_i^j + (-1)^i E = f(x_i) at the reference points.
        A = mp.matrix(n, n)
        b = mp.matrix(n, 1)
        for i, x in enumerate(xs):
            for j in range(DEG + 1):
                A[i, j] = x**j
            A[i, DEG + 1] = (-1) ** i
            b[i] = target(x)
        sol = mp.lu_solve(A, b)
        c = [sol[j] for j in range(DEG + 1)]
        err = [sum(cj * x**j for j, cj in enumerate(c)) - target(x) for x in grid]
        # New reference: the extremum of each run of equal sign, n of them.
        ext, run = [], [0]
        for j in range(1, len(grid)):
            if mp.sign(err[j]) == mp.sign(err[run[0]]):
                run.append(j)
            else:
                ext.append(max(run, key=lambda q: abs(err[q])))
                run = [j]
        ext.append(max(run, key=lambda q: abs(err[q])))
        while len(ext) > n:
            ext.pop(0 if abs(err[ext[0]]) < abs(err[ext[-1]]) else -1)
        xs = [grid[j] for j in ext]
        mx = max(abs(e) for e in err)
        if abs(mx - abs(sol[DEG + 1])) < abs(sol[DEG + 1]) * mp.mpf('1e-4'):
            break
    return [float(cj) for cj in c], float(mx)


def bits(d):
    return struct.unpack('<Q', struct.pack('<d', d))[0]


def from_bits(u):
    return struct.unpack('<d', struct.pack('<Q', u))[0]


def sg_exp(x, C):
    xc = 710.0 if x > 710.0 else (-750.0 if x < -750.0 else x)
    t = xc * 1.4426950408889634 + 6755399441055744.0
    k = t - 6755399441055744.0
    a = xc - k * LN2_HI
    b = k * LN2_LO
    r = a - b
    dr = (a - r) - b
    r2 = r * r
    r4 = r2 * r2
    q = ((C[0] + C[1] * r) + (C[2] + C[3] * r) * r2) + ((C[4] + C[5] * r) + (C[6] + C[7] * r) * r2) * r4 + (C[8] + C[9] * r) * (r4 * r4)
    s = r2 * q
    t1 = 1.0 + r
    e1 = (1.0 - t1) + r
    p = t1 + ((e1 + dr) + s)
    if x != x:
        return x
    u = (bits(t) - 0x4338000000000000 + 2046) & (2**64 - 1)
    e1b = u >> 1
    return p * from_bits(e1b << 52) * from_bits((u - e1b) << 52)


def main():
    print('LN2_HI', repr(LN2_HI), LN2_HI.hex(), 'LN2_LO', repr(LN2_LO))
    C, err = remez()
    print('max |Q - target|', err)
    for j, c in enumerate(C):
        print(f'C{j + 2}', repr(c))
    random.seed(1)
    worst, at, rounded = 0.0, None, 0
    for i in range(100000):
        x = random.uniform(-8, 8) if i % 2 else random.uniform(-745.2, 709.8)
        y = sg_exp(x, C)
        exact = mp.exp(x)
        if math.isinf(y):
            e = 0.0 if exact >= mp.mpf(2) ** 1024 * (1 - mp.mpf(2) ** -54) else math.inf
        else:
            e = float(abs(mp.mpf(y) - exact) / (math.ulp(y) if y else 2.0**-1074))
        if e > worst:
            worst, at = e, x
        rounded += e <= 0.5
    print(f'max error {worst:.3f} ulp at x = {at!r}; correctly rounded: {rounded / 1000:.1f} %')


if __name__ == '__main__':
    main()
