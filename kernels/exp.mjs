// The exponential every backend uses in the surrogate formulas (kernels/surrogates.mjs).
// kernels/generate.mjs prints it as sgExp (scalar TypeScript, AssemblyScript
// and C++) and as lane code (f64x2 in wasm, GCC vector lanes in C++), so every
// target evaluates the same double operations in the same order and gets the
// same bits: unlike libm's, AssemblyScript's or V8's exp, which may differ in
// the last bit, and which a vector loop cannot call per lane.
//
// Method (float64, no fused multiply-add, no library call):
// 1. clamp: x > 710 → 710 (the result overflows to +∞ anyway), x < −750 → −750
//    (underflows to 0); NaN fails both compares and stays NaN, ±∞ become ∞, 0.
// 2. k = round(x·log2 e) with the shifter: t = x·LOG2E + SHIFT (1.5·2^52)
//    rounds x·log2 e to an integer in t's last place, k = t − SHIFT is exact.
// 3. Cody–Waite reduction r = x − k·ln2, |r| ≲ ln2/2: a = x − k·LN2_HI is exact
//    (LN2_HI has 32 significant bits, so k·LN2_HI is exact for |k| < 2^21, and
//    the subtraction cancels exactly), b = k·LN2_LO, r = a − b rounded and
//    dr = (a − r) − b its rounding error.
// 4. e^r = 1 + r + r²·Q(r), Q of degree 9: the minimax approximation of
//    (e^r − 1 − r)/r² on |r| ≤ 1.0005·ln2/2 (Remez exchange in 50-digit
//    arithmetic, kernels/exp-fit.py; max error of Q 1.03e-16, so the relative
//    error it adds to e^r is below r²·1.03e-16 ≤ 1.3e-17), evaluated by
//    Estrin's scheme (pairs, then r², r⁴, r⁸: shorter dependency chains than
//    Horner's, which measured faster in wasm). The sum is formed as
//    t1 = 1 + r plus its exact rounding error e1 = (1 − t1) + r (Fast2Sum),
//    then p = t1 + ((e1 + dr) + s), s = r²·Q: one large rounding, not two.
// 5. e^x = p·2^k = (p·2^k1)·2^k2 with k1 = ⌊k/2⌋, k2 = k − k1 (both in
//    [−541, 512], so both powers are normal doubles and p·2^k1 is exact): the
//    one rounding is that of the true product, which gives overflow to +∞ and
//    gradual underflow (denormals, then 0) without a branch. The powers are
//    built from their exponent bits (C++, wasm: k + 2046 from t's bits, then
//    e1 = (k + 2046) >> 1 and e2 = (k + 2046) − e1 are the biased exponents) or
//    read from a table of the same exact powers (TypeScript, which has no cheap
//    64-bit reinterpretation).
// Accuracy: at most 0.71 ulp from the true e^x over 10^5 points checked
// against 40-digit exp by kernels/exp-fit.py (97.6 % correctly rounded; V8's
// Math.exp, checked the same way on 6·10^4 points: 0.80 ulp, 89 %); within
// 1 ulp of Math.exp over a dense sweep of the whole range
// (test/backend/surrogate-exp.test.ts; 92 % equal).

/** The constants, by name (the generator prints their shortest round-trip decimal). */
export const expConsts = {
  LOG2E: 1.4426950408889634, // log2(e), Math.LOG2E
  SHIFT: 6755399441055744, // 1.5·2^52: adding it rounds to an integer
  LN2_HI: 0.6931471803691238, // ln 2 truncated to 32 significant bits (0x1.62e42feep-1)
  LN2_LO: 1.9082149292705877e-10, // ln 2 − LN2_HI, rounded to double
  C2: 0.5000000000000001, // Q(r) = C2 + C3·r + ... + C11·r^9
  C3: 0.16666666666666674,
  C4: 0.04166666666662399,
  C5: 0.00833333333332217,
  C6: 0.0013888888917283468,
  C7: 0.00019841269886702536,
  C8: 2.480152118799841e-5,
  C9: 2.7557242210897146e-6,
  C10: 2.762013964081078e-7,
  C11: 2.511009719137452e-8,
  MAX_X: 710, // clamps (step 1)
  MIN_X: -750,
};

/**
 * Steps 1–4 in the formula language of kernels/surrogates.mjs (x is the
 * argument; each line defines a local). The generator appends step 5, which
 * needs bit operations the language does not have, per target: it reads `t`,
 * `k` and `p`.
 */
export const expSteps = [
  'xc = x > MAX_X ? MAX_X : x < MIN_X ? MIN_X : x',
  't = xc * LOG2E + SHIFT',
  'k = t - SHIFT',
  'a = xc - k * LN2_HI',
  'b = k * LN2_LO',
  'r = a - b',
  'dr = (a - r) - b',
  'r2 = r * r',
  'r4 = r2 * r2',
  'q = ((C2 + C3 * r) + (C4 + C5 * r) * r2) + ((C6 + C7 * r) + (C8 + C9 * r) * r2) * r4 + (C10 + C11 * r) * (r4 * r4)',
  's = r2 * q',
  't1 = 1 + r',
  'e1 = (1 - t1) + r',
  'p = t1 + ((e1 + dr) + s)',
];

/** SHIFT's bit pattern: bits(t) − SHIFT_BITS = k (t and SHIFT share an exponent). */
export const SHIFT_BITS = '0x4338000000000000';

// The derivations above, checked where JavaScript can: LN2_HI has 32
// significant bits and LN2_HI + LN2_LO rounds to ln 2; SHIFT is 1.5·2^52.
if (Math.round(expConsts.LN2_HI * 2 ** 32) !== expConsts.LN2_HI * 2 ** 32 || expConsts.LN2_HI + expConsts.LN2_LO !== Math.LN2) {
  throw new Error('kernels/exp.mjs: LN2_HI / LN2_LO are not a two-part ln 2');
}
if (expConsts.SHIFT !== 1.5 * 2 ** 52) throw new Error('kernels/exp.mjs: SHIFT must be 1.5·2^52');
