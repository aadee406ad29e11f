// The kernel manifest: every native kernel's name and typed arguments, every
// structured configuration that crosses into C++ (named fields, packed into a
// Float64Array in declaration order) and the wasm module's exports, declared
// once. kernels/generate.mjs turns it into
//   src/backend/native/addon.generated.ts   NativeAddon interface, NATIVE_FUNCTIONS, struct packers
//   kernels/native/addon.generated.inc      N-API wrappers (argument unpacking and bounds checks) + registration
//   kernels/native/structs.generated.h      the C++ structs the readers fill
//   src/backend/wasm/exports.generated.ts   KernelExports (the wasm module's typings)
// Plain data (plus a few C++ expressions): no imports, so any script can read it.
//
// Argument kinds (native):
//   dim      non-negative integer below 2^53          TS number   C++ idx_t
//   number   any number                               TS number   C++ double
//   flag     boolean                                  TS boolean  C++ bool
//   enum     integer in [0, names.length) of `enums[enum]` TS number   C++ its `cpp` type (cast)
//   f32      Float32Array with at least `len` elements (a C++ expression over earlier
//            arguments and `lets`); `bind: 'n'` instead takes any length and names it n
//            (read before the arrays that use n); `nullable` accepts null
//   u8       Uint8Array with at least `len` elements
//   i32      Int32Array with at least `len` elements (or `bind`), like f32
//   f64      Float64Array with at least `len` elements (or `bind`), like f32 (test hooks only:
//            the backend's storages are float32)
//   struct   a Float64Array holding the fields of `structs[struct]`
// A function's C++ body reads structs, then scalars (argument order), then
// `lets`, then the length-binding arrays, then the other arrays (argument
// order), then runs `checks` ([condition, message expression]) and `call`.
// `skip`: a condition under which the call is skipped after the checks pass.

/** Fields: dim / number / flag as above; `id` is an integer in [0, below) (`unknown` names it in the error). */
export const structs = {
  LifCfg: {
    doc: 'Configuration of the fused LIF scan (LifConfig of src/backend/kernels/neuron.ts, flattened).',
    // The packer reads the kernel-level LifConfig directly (no intermediate object per call).
    ts: { type: 'LifConfig', from: '../kernels/neuron.js' },
    fields: [
      { name: 'T', kind: 'dim' },
      { name: 'B', kind: 'dim' },
      { name: 'F', kind: 'dim' },
      { name: 'resetMode', kind: 'id', below: '4', unknown: 'reset mode', doc: '0 none, 1 subtract, 2 zero, 3 zeroAfter (ResetMode)' },
      { name: 'delayedReset', kind: 'flag' },
      { name: 'correctedReset', kind: 'flag', doc: "same-step reset in snnTorch's form (R of the previous membrane, then the (s − R) correction)" },
      { name: 'detachReset', kind: 'flag' },
      { name: 'inputLeak', kind: 'flag' },
      { name: 'vReset', kind: 'number' },
      { name: 'fireAtThreshold', kind: 'flag', doc: 'spike at h ≥ θ (H(0) = 1, SpikingJelly) rather than h > θ (snnTorch)' },
      { name: 'betaPerNeuron', kind: 'flag' },
      { name: 'thresholdPerNeuron', kind: 'flag' },
      { name: 'surrogate', kind: 'id', from: 'surrogate.id', below: 'sf::surrogate::kCount', unknown: 'surrogate id', doc: 'SurrogateId (kernels/surrogates.mjs)' },
      { name: 'p0', kind: 'number', from: 'surrogate.p0' },
      { name: 'p1', kind: 'number', from: 'surrogate.p1' },
    ],
    // C++-only members (not packed): the kernels set them.
    cppExtra: [
      '// Batch rows [bBegin, bEnd) this call computes (the entry points set them:',
      '// all rows, or one half per thread when the scan is split).',
      'idx_t bBegin = 0, bEnd = 0;',
    ],
  },
  MultiLevelCfg: {
    doc: 'Configuration of the fused multi-level scan (MultiLevelConfig of src/backend/kernels/neuron.ts, flattened).',
    ts: { type: 'MultiLevelConfig', from: '../kernels/neuron.js' },
    fields: [
      { name: 'T', kind: 'dim' },
      { name: 'B', kind: 'dim' },
      { name: 'F', kind: 'dim' },
      { name: 'levels', kind: 'dim', doc: 'D, the largest count per step (1 ≤ D ≤ 2^16: the wrapper checks)' },
      { name: 'normalized', kind: 'flag', doc: 's = c/D rather than c' },
      { name: 'hardReset', kind: 'flag', doc: 'v = vReset after any count (else the soft v = h − c·θ)' },
      { name: 'vReset', kind: 'number' },
      { name: 'detachReset', kind: 'flag' },
      { name: 'betaPerNeuron', kind: 'flag' },
      { name: 'thresholdPerNeuron', kind: 'flag' },
      { name: 'surrogate', kind: 'id', from: 'surrogate.id', below: 'sf::surrogate::kCount', unknown: 'surrogate id', doc: 'SurrogateId (kernels/surrogates.mjs)' },
      { name: 'p0', kind: 'number', from: 'surrogate.p0' },
      { name: 'p1', kind: 'number', from: 'surrogate.p1' },
    ],
    cppExtra: ['// Batch rows [bBegin, bEnd) this call computes (set by the entry points, as in LifCfg).', 'idx_t bBegin = 0, bEnd = 0;'],
  },
  Window: {
    doc: 'A pooling / convolution window (WindowGeometry of src/backend/kernels/conv.ts); strides and dilations are at least 1.',
    ts: { type: 'WindowGeometry', from: '../kernels/conv.js' },
    fields: ['H', 'W', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'Ho', 'Wo'].map((name) => ({ name, kind: 'dim' })),
    // Hand-written in addon.cc: bounds what the fields may be together.
    validate: 'validWindow',
    // The wasm kernels read it as an @unmanaged class of i32 fields (kernels/wasm/structs.generated.ts).
    wasm: 'i32',
  },
  SgdArgs: {
    doc: 'SGD hyper-parameters of one update (src/backend/ts/train.ts).',
    fields: [
      { name: 'lr', kind: 'number' },
      { name: 'momentum', kind: 'number' },
      { name: 'dampening', kind: 'number' },
      { name: 'weightDecay', kind: 'number' },
      { name: 'nesterov', kind: 'flag' },
      { name: 'initBuf', kind: 'flag', doc: 'first step: the momentum buffer starts as the gradient' },
    ],
  },
  AdamArgs: {
    doc: 'Adam(W) scalars of one update; the step-dependent ones are computed in JS with the reference\'s Math.pow.',
    fields: [
      { name: 'beta1', kind: 'number' },
      { name: 'beta2', kind: 'number' },
      { name: 'eps', kind: 'number' },
      { name: 'weightDecay', kind: 'number' },
      { name: 'stepSize', kind: 'number', doc: 'lr / (1 − β1^t)' },
      { name: 'bc2Sqrt', kind: 'number', doc: '√(1 − β2^t)' },
      { name: 'decay', kind: 'number', doc: '1 − lr·wd (decoupled) or 1' },
      { name: 'decoupled', kind: 'flag' },
    ],
  },
};

const lifForwardArgs = [
  { name: 'cfg', kind: 'struct', struct: 'LifCfg' },
  { name: 'x', kind: 'f32', len: 'TN' },
  { name: 'v0', kind: 'f32', len: 'N' },
  { name: 'beta', kind: 'f32', len: 'cfg.betaPerNeuron ? cfg.F : 1' },
  { name: 'threshold', kind: 'f32', len: 'cfg.thresholdPerNeuron ? cfg.F : 1' },
  { name: 'spikes', kind: 'f32', len: 'TN' },
  { name: 'mask', kind: 'u8', len: 'TN' },
  { name: 'h', kind: 'f32', len: 'TN' },
  { name: 'v', kind: 'f32', len: 'TN', nullable: true, doc: 'null under a delayed reset' },
];
const lifLets = [['idx_t', 'N', 'cfg.B * cfg.F'], ['idx_t', 'TN', 'cfg.T * N']];
const lifChecks = [['!cfg.delayedReset && cfg.resetMode != 0 && !v', '"v is required under a same-step reset"']];

const mlForwardArgs = [
  { name: 'cfg', kind: 'struct', struct: 'MultiLevelCfg' },
  { name: 'x', kind: 'f32', len: 'TN' },
  { name: 'v0', kind: 'f32', len: 'N' },
  { name: 'beta', kind: 'f32', len: 'cfg.betaPerNeuron ? cfg.F : 1' },
  { name: 'threshold', kind: 'f32', len: 'cfg.thresholdPerNeuron ? cfg.F : 1' },
];
// The closed-form count (multilevel.cc) is exact for D well below 2^50; the wrapper in
// src/backend/native/neuron.ts hands larger D (and its D-term surrogate sums) to TypeScript.
const mlChecks = [['cfg.levels < 1 || cfg.levels > 65536', 'std::string("cfg.levels must be in 1..65536, got ") + std::to_string(cfg.levels)']];

const ncp = [{ name: 'N', kind: 'dim' }, { name: 'C', kind: 'dim' }, { name: 'P', kind: 'dim' }];
const ncpTotal = [['idx_t', 'total', 'product(args, {N, C, P})']];
const f32 = (name, len, extra = {}) => ({ name, kind: 'f32', len, ...extra });
const dim = (name) => ({ name, kind: 'dim' });
const num = (name) => ({ name, kind: 'number' });

/**
 * Enumerations passed as integers: `names` in id order; `cpp` is the C++ enum
 * (generated into kernels/native/structs.generated.h), `ts` the TypeScript union the ids map from
 * (generated as <UPPER_SNAKE>_IDS in both generated TS files).
 */
export const enums = {
  PoolMode: { names: ['max', 'avg', 'sum'], cpp: 'sf::PoolMode', ts: { type: 'PoolMode', from: '../kernels/conv.js' } },
};

/** Whole-batch convolutions: geometry, N images, channels and groups; ConvSizes (addon.cc) checks the group split. */
const convHead = [{ name: 'geometry', kind: 'struct', struct: 'Window' }, dim('N'), dim('Cin'), dim('Cout'), dim('groups')];
const convLets = [['ConvSizes', 'sz', 'convSizes(args, geometry, N, Cin, Cout, groups)']];

const poolMode = { name: 'mode', kind: 'enum', enum: 'PoolMode', doc: 'POOL_MODE_IDS' };
const poolHead = [poolMode, { name: 'geometry', kind: 'struct', struct: 'Window' }, dim('planes'), { name: 'countIncludePad', kind: 'flag' }];
const poolLets = [['idx_t', 'inSize', 'product(args, {planes, geometry.H, geometry.W})'], ['idx_t', 'outSize', 'product(args, {planes, geometry.Ho, geometry.Wo})']];
const im2colHead = [{ name: 'geometry', kind: 'struct', struct: 'Window' }, dim('C'), dim('c0'), dim('cg'), dim('n')];

const binary = (name, op) => ({
  name,
  doc: `out = a ${op} b over out's length.`,
  args: [f32('a', 'n'), f32('b', 'n'), { name: 'out', kind: 'f32', bind: 'n' }],
  call: `sf::${name}(n, a, b, out);`,
});

const attnHead = [dim('R'), dim('heads'), dim('dh'), dim('N'), num('scale')];
const attnLets = [['idx_t', 'total', 'product(args, {R, heads, dh, N})'], ['idx_t', 'gSize', 'product(args, {R, heads, dh, dh})']];
const lnHead = [dim('R'), dim('C'), dim('N')];
const wkvHead = [dim('T'), dim('B'), dim('C')];
const wkvLets = [['idx_t', 'total', 'product(args, {T, B, C})'], ['idx_t', 'stateSize', 'product(args, {3, B, C})']];
const shiftLets = [['idx_t', 'total', 'product(args, {T, B, C})'], ['idx_t', 'rowSize', 'product(args, {B, C})']];
const lnLets = [['idx_t', 'total', 'product(args, {R, C, N})'], ['idx_t', 'statSize', 'product(args, {2, R, N})']];

/** Native kernels, in registration order. */
export const native = [
  {
    name: 'gemm',
    doc: 'C[cOff..] = alpha·op(A)·op(B) + beta·C, row-major, op = transpose when tA / tB.',
    args: [
      { name: 'tA', kind: 'flag' }, { name: 'tB', kind: 'flag' }, dim('M'), dim('N'), dim('K'), num('alpha'),
      f32('A', 'aOff + M * K'), dim('aOff'), f32('B', 'bOff + K * N'), dim('bOff'), num('beta'), f32('C', 'cOff + M * N'), dim('cOff'),
    ],
    call: [
      'const idx_t sAi = tA ? 1 : K, sAk = tA ? M : 1;',
      'const idx_t sBk = tB ? 1 : N, sBj = tB ? K : 1;',
      'sf::gemm(M, N, K, static_cast<float>(alpha), A + aOff, sAi, sAk, B + bOff, sBk, sBj, static_cast<float>(beta), C + cOff, N);',
    ],
  },
  {
    name: 'eventGemm',
    args: [dim('M'), dim('N'), dim('K'), f32('X', 'M * K'), f32('Wt', 'K * N'), num('beta'), f32('Y', 'M * N')],
    call: 'sf::eventGemm(M, N, K, X, Wt, beta, Y);',
  },
  {
    name: 'eventGemmGradW',
    args: [dim('M'), dim('N'), dim('K'), f32('dY', 'M * N'), f32('X', 'M * K'), f32('dW', 'N * K')],
    call: 'sf::eventGemmGradW(M, N, K, dY, X, dW);',
  },
  {
    name: 'lifForward',
    args: lifForwardArgs,
    lets: lifLets,
    checks: lifChecks,
    call: 'sf::lifForward(cfg, sf::LifIO{x, v0, beta, threshold, spikes, mask, h, v, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});',
  },
  {
    name: 'lifBackward',
    args: [
      ...lifForwardArgs,
      f32('gSpikes', 'TN', { nullable: true }), f32('gMem', 'TN', { nullable: true }), f32('dx', 'TN', { nullable: true }),
      f32('dv0', 'N', { nullable: true }), f32('dBeta', 'cfg.betaPerNeuron ? cfg.F : 1', { nullable: true }),
      f32('dThreshold', 'cfg.thresholdPerNeuron ? cfg.F : 1', { nullable: true }),
    ],
    lets: lifLets,
    checks: lifChecks,
    call: 'sf::lifBackward(cfg, sf::LifIO{x, v0, beta, threshold, spikes, mask, h, v, gSpikes, gMem, dx, dv0, dBeta, dThreshold});',
  },
  {
    name: 'multiLevelForward',
    doc: 'The multi-level neuron\'s scan (kernels/native/multilevel.cc): spikes and the post-reset membrane v, both [T, N].',
    args: [...mlForwardArgs, f32('spikes', 'TN'), f32('v', 'TN')],
    lets: lifLets,
    checks: mlChecks,
    call: 'sf::multiLevelForward(cfg, sf::MultiLevelIO{x, v0, beta, threshold, spikes, v, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});',
  },
  {
    name: 'multiLevelBackward',
    doc: 'Its BPTT backward from the forward\'s v (h, u and c recomputed); gState: the final state\'s gradient [N]. Gradients overwrite their outputs.',
    args: [
      ...mlForwardArgs, f32('v', 'TN'), f32('gSpikes', 'TN', { nullable: true }), f32('gMem', 'TN', { nullable: true }), f32('gState', 'N', { nullable: true }),
      f32('dx', 'TN', { nullable: true }), f32('dv0', 'N', { nullable: true }), f32('dBeta', 'cfg.betaPerNeuron ? cfg.F : 1', { nullable: true }),
      f32('dThreshold', 'cfg.thresholdPerNeuron ? cfg.F : 1', { nullable: true }),
    ],
    lets: lifLets,
    checks: mlChecks,
    call: 'sf::multiLevelBackward(cfg, sf::MultiLevelIO{x, v0, beta, threshold, nullptr, v, gSpikes, gMem, gState, dx, dv0, dBeta, dThreshold});',
  },
  {
    name: 'sgdStep',
    args: [{ name: 'param', kind: 'f32', bind: 'n' }, f32('grad', 'n'), f32('buf', 'n', { nullable: true }), { name: 'hyper', kind: 'struct', struct: 'SgdArgs' }],
    call: 'sf::sgdStep(n, param, grad, buf, hyper);',
  },
  {
    name: 'adamStep',
    args: [
      { name: 'param', kind: 'f32', bind: 'n' }, f32('grad', 'n'), f32('m', 'n'), f32('v', 'n'), f32('vMax', 'n', { nullable: true }),
      { name: 'hyper', kind: 'struct', struct: 'AdamArgs' },
    ],
    call: 'sf::adamStep(n, param, grad, m, v, vMax, hyper);',
  },
  binary('add', '+'),
  binary('sub', '−'),
  binary('mul', '·'),
  {
    name: 'affine',
    doc: 'out = alpha·x + beta over out\'s length.',
    args: [f32('x', 'n'), num('alpha'), num('beta'), { name: 'out', kind: 'f32', bind: 'n' }],
    call: 'sf::affine(n, x, alpha, beta, out);',
  },
  {
    name: 'axpy',
    doc: 'y += alpha·x over y\'s length.',
    args: [num('alpha'), f32('x', 'n'), { name: 'y', kind: 'f32', bind: 'n' }],
    call: 'sf::axpy(n, alpha, x, y);',
  },
  { name: 'addRowVector', args: [dim('M'), dim('N'), f32('Y', 'M * N'), f32('b', 'N')], call: 'sf::addRowVector(M, N, Y, b);' },
  { name: 'sumRows', args: [dim('M'), dim('N'), f32('X', 'M * N'), num('beta'), f32('out', 'N')], call: 'sf::sumRows(M, N, X, beta, out);' },
  {
    name: 'countNonzero',
    args: [{ name: 'x', kind: 'f32', bind: 'n' }],
    returns: 'number',
    call: 'return numberValue(env, static_cast<double>(sf::countNonzero(n, x)));',
  },
  { name: 'transpose', args: [dim('M'), dim('N'), f32('A', 'M * N'), f32('out', 'M * N')], call: 'sf::transpose(M, N, A, out);' },
  {
    name: 'im2col',
    args: [...im2colHead, f32('x', 'need.images'), dim('xOff'), f32('cols', 'need.cols')],
    lets: [['ImageSpan', 'need', 'im2colSpan(args, geometry, C, c0, cg, n, xOff)']],
    // Nothing to do, and x + xOff may lie past an empty array.
    skip: 'need.cols == 0',
    call: 'sf::im2col(geometry, C, c0, cg, n, x + xOff, cols);',
  },
  {
    name: 'col2im',
    args: [...im2colHead, f32('cols', 'need.cols'), f32('dx', 'need.images'), dim('dxOff')],
    lets: [['ImageSpan', 'need', 'im2colSpan(args, geometry, C, c0, cg, n, dxOff)']],
    skip: 'need.cols == 0',
    call: 'sf::col2im(geometry, C, c0, cg, n, cols, dx + dxOff);',
  },
  {
    name: 'swapAxes01',
    args: [dim('A'), dim('B'), dim('inner'), f32('src', 'span(srcOff, total)'), dim('srcOff'), f32('dst', 'span(dstOff, total)'), dim('dstOff')],
    lets: [['idx_t', 'total', 'product(args, {A, B, inner})']],
    skip: 'total == 0',
    call: 'sf::swapAxes01(A, B, inner, src + srcOff, dst + dstOff);',
  },
  {
    name: 'addChannelBias',
    args: [...ncp, f32('y', 'span(yOff, total)'), dim('yOff'), f32('bias', 'C')],
    lets: ncpTotal,
    skip: 'total == 0',
    call: 'sf::addChannelBias(N, C, P, y + yOff, bias);',
  },
  { name: 'channelSums', args: [...ncp, f32('x', 'total'), f32('out', 'C')], lets: ncpTotal, call: 'sf::channelSums(N, C, P, x, out);' },
  {
    name: 'channelMoments',
    args: [...ncp, f32('x', 'total'), f32('mean', 'C'), f32('variance', 'C')],
    lets: ncpTotal,
    call: 'sf::channelMoments(N, C, P, x, mean, variance);',
  },
  {
    name: 'channelCenteredDot',
    args: [...ncp, f32('dy', 'total'), f32('x', 'total'), f32('mean', 'C'), f32('sumDy', 'C'), f32('sumDyXc', 'C')],
    lets: ncpTotal,
    call: 'sf::channelCenteredDot(N, C, P, dy, x, mean, sumDy, sumDyXc);',
  },
  {
    name: 'channelAffine',
    args: [...ncp, f32('x', 'total'), f32('a', 'C'), f32('b', 'C'), f32('y', 'total')],
    lets: ncpTotal,
    call: 'sf::channelAffine(N, C, P, x, a, b, y);',
  },
  {
    name: 'channelAffine2',
    args: [...ncp, f32('u', 'total'), f32('v', 'total'), f32('a', 'C'), f32('b', 'C'), f32('k', 'C'), f32('y', 'total')],
    lets: ncpTotal,
    call: 'sf::channelAffine2(N, C, P, u, v, a, b, k, y);',
  },
  {
    name: 'mulBroadcast',
    args: [dim('R'), dim('N'), f32('x', 'total'), f32('v', 'N'), f32('y', 'total')],
    lets: [['idx_t', 'total', 'product(args, {R, N})']],
    call: 'sf::mulBroadcast(R, N, x, v, y);',
  },
  {
    name: 'pool2d',
    doc: 'argmax is required in max mode.',
    args: [...poolHead, f32('x', 'inSize'), f32('y', 'outSize'), f32('argmax', 'outSize', { nullable: true })],
    lets: poolLets,
    checks: [['mode == sf::PoolMode::max && !argmax', '"argmax is required in max mode"']],
    call: 'sf::pool2d(mode, geometry, planes, countIncludePad, x, y, argmax);',
  },
  {
    name: 'pool2dBackward',
    args: [...poolHead, f32('dy', 'outSize'), f32('argmax', 'outSize', { nullable: true }), f32('dx', 'inSize')],
    lets: poolLets,
    checks: [
      ['mode == sf::PoolMode::max && !argmax', '"argmax is required in max mode"'],
      ['mode == sf::PoolMode::max && !sf::poolArgmaxValid(geometry, planes, argmax)', '"argmax holds an entry that is not a cell index of its plane"'],
    ],
    call: 'sf::pool2dBackward(mode, geometry, planes, countIncludePad, dy, argmax, dx);',
  },
  {
    name: 'eventConv',
    doc: 'y = conv(x, w) visiting only the nonzero x (ConvKernels.eventConv); y overwritten, no bias.',
    args: [...convHead, f32('x', 'sz.in'), f32('w', 'sz.w'), f32('y', 'sz.out')],
    lets: convLets,
    call: 'sf::eventConv(geometry, N, Cin, Cout, groups, x, w, y);',
  },
  {
    name: 'eventConvGradW',
    doc: 'dw += the weight gradient of eventConv (ConvKernels.eventConvGradW).',
    args: [...convHead, f32('x', 'sz.in'), f32('dy', 'sz.out'), f32('dw', 'sz.w')],
    lets: convLets,
    call: 'sf::eventConvGradW(geometry, N, Cin, Cout, groups, x, dy, dw);',
  },
  {
    name: 'convGradXSparse',
    doc: 'dx = the input gradient of a convolution over the nonzero dy (ConvKernels.convGradXSparse); dx overwritten.',
    args: [...convHead, f32('dy', 'sz.out'), f32('w', 'sz.w'), f32('dx', 'sz.in')],
    lets: convLets,
    call: 'sf::convGradXSparse(geometry, N, Cin, Cout, groups, dy, w, dx);',
  },
  {
    name: 'delayKernelBuild',
    doc: 'kernel[k·n + s] of n synapses and K taps from w, p (interp DELAY_INTERP: 0 Gaussian, 1 linear); src/backend/kernels/delay.ts.',
    args: [dim('n'), dim('K'), dim('interp'), num('sigma'), f32('w', 'n'), f32('p', 'n'), f32('kernel', 'nk')],
    lets: [['idx_t', 'nk', 'product(args, {n, K})']],
    checks: [['interp > 1', '"interp must be 0 (gauss) or 1 (linear)"']],
    call: 'sf::delayKernelBuild(n, K, static_cast<int>(interp), sigma, w, p, kernel);',
  },
  {
    name: 'delayKernelBuildBackward',
    args: [dim('n'), dim('K'), dim('interp'), num('sigma'), f32('w', 'n'), f32('p', 'n'), f32('dKernel', 'nk'), f32('dW', 'n', { nullable: true }), f32('dP', 'n', { nullable: true })],
    lets: [['idx_t', 'nk', 'product(args, {n, K})']],
    checks: [['interp > 1', '"interp must be 0 (gauss) or 1 (linear)"']],
    call: 'sf::delayKernelBuildBackward(n, K, static_cast<int>(interp), sigma, w, p, dKernel, dW, dP);',
  },
  {
    name: 'delaySparseForward',
    doc: 'The exact integer-delay sum (DelayKernels.delaySparseForward) over tap-major synapse lists; float32 weights.',
    args: [
      dim('Tin'), dim('tStart'), dim('tEnd'), dim('B'), dim('K'), dim('I'), dim('O'),
      { name: 'rowPtr', kind: 'i32', len: 'rows + 1' }, { name: 'cols', kind: 'i32', bind: 'nSyn' }, f32('vals', 'nSyn'),
      f32('x', 'product(args, {Tin, B, I})'), f32('y', 'product(args, {tEnd >= tStart ? tEnd - tStart : 0, B, O})'),
    ],
    lets: [['idx_t', 'rows', 'product(args, {K, I})']],
    checks: [
      ['tStart > tEnd', '"tStart must not exceed tEnd"'],
      ['!validSynapses(rowPtr, rows, cols, nSyn, O)', '"rowPtr must rise from 0 to at most cols.length, and every col must be an output index below O"'],
    ],
    call: 'sf::delaySparseForward(Tin, tStart, tEnd, B, K, I, O, rowPtr, cols, vals, x, y);',
  },
  {
    name: 'delayEventForward',
    doc: 'Event-driven causal delay convolution of a sparse x [T, B, I] with kernel [K, O, I] into y [Tout, B, O] (overwritten).',
    args: [dim('T'), dim('Tout'), dim('B'), dim('I'), dim('O'), dim('K'), f32('x', 'product(args, {T, B, I})'), f32('kernel', 'product(args, {K, O, I})'), f32('y', 'product(args, {Tout, B, O})')],
    call: 'sf::delayEventForward(T, Tout, B, I, O, K, x, kernel, y);',
  },
  {
    name: 'delayEventGradKernel',
    doc: 'Its kernel gradient dK [K, O, I] (overwritten) from the sparse x and dY [Tout, B, O].',
    args: [dim('T'), dim('Tout'), dim('B'), dim('I'), dim('O'), dim('K'), f32('x', 'product(args, {T, B, I})'), f32('dY', 'product(args, {Tout, B, O})'), f32('dK', 'product(args, {K, O, I})')],
    call: 'sf::delayEventGradKernel(T, Tout, B, I, O, K, x, dY, dK);',
  },
  {
    name: 'linearAttentionForward',
    doc: 'Linear spiking self-attention per row and head (AttentionKernels, src/backend/kernels/attention.ts): G [R, heads, dh, dh], out = scale·Gᵀ Q; bit-identical to the reference.',
    args: [...attnHead, f32('q', 'total'), f32('k', 'total'), f32('v', 'total'), f32('G', 'gSize'), f32('out', 'total')],
    lets: attnLets,
    call: 'sf::linearAttentionForward(R, heads, dh, N, scale, q, k, v, G, out);',
  },
  {
    name: 'linearAttentionBackward',
    doc: 'Its vector–Jacobian product; a null dQ / dK / dV is not computed.',
    args: [
      ...attnHead, f32('q', 'total'), f32('k', 'total'), f32('v', 'total'), f32('G', 'gSize'), f32('dOut', 'total'),
      f32('dQ', 'total', { nullable: true }), f32('dK', 'total', { nullable: true }), f32('dV', 'total', { nullable: true }),
    ],
    lets: attnLets,
    call: 'sf::linearAttentionBackward(R, heads, dh, N, scale, q, k, v, G, dOut, dQ, dK, dV);',
  },
  {
    name: 'rowDot',
    doc: 'out[r] = Σ_n a[r, n]·b[r, n] over M rows of N.',
    args: [dim('M'), dim('N'), f32('a', 'MN'), f32('b', 'MN'), f32('out', 'M')],
    lets: [['idx_t', 'MN', 'product(args, {M, N})']],
    call: 'sf::rowDot(M, N, a, b, out);',
  },
  {
    name: 'rowScale',
    doc: 'out[r, n] = x[r, n]·s[r] over M rows of N.',
    args: [dim('M'), dim('N'), f32('x', 'MN'), f32('s', 'M'), f32('out', 'MN')],
    lets: [['idx_t', 'MN', 'product(args, {M, N})']],
    call: 'sf::rowScale(M, N, x, s, out);',
  },
  {
    name: 'layerNormForward',
    doc: 'Layer norm over the C channels of each token of [R, C, N]; stats: (mean, 1/√(var + eps)) per (r, n).',
    args: [
      ...lnHead, num('eps'), f32('x', 'total'), f32('gamma', 'C', { nullable: true }), f32('beta', 'C', { nullable: true }),
      f32('stats', 'statSize'), f32('out', 'total'),
    ],
    lets: lnLets,
    call: 'sf::layerNormForward(R, C, N, eps, x, gamma, beta, stats, out);',
  },
  {
    name: 'layerNormBackward',
    doc: 'Its backward: dX overwritten, dGamma / dBeta accumulated into when given.',
    args: [
      ...lnHead, f32('x', 'total'), f32('gamma', 'C', { nullable: true }), f32('stats', 'statSize'), f32('dY', 'total'), f32('dX', 'total'),
      f32('dGamma', 'C', { nullable: true }), f32('dBeta', 'C', { nullable: true }),
    ],
    lets: lnLets,
    call: 'sf::layerNormBackward(R, C, N, x, gamma, stats, dY, dX, dGamma, dBeta);',
  },
  {
    name: 'wkvForward',
    doc: 'The RWKV-4 WKV recurrence over [T, B, C] (RwkvKernels, src/backend/kernels/rwkv.ts) from state s0 [3, B, C]; s1 receives the final state; bit-identical to the reference.',
    args: [...wkvHead, f32('k', 'total'), f32('v', 'total'), f32('w', 'C'), f32('u', 'C'), f32('s0', 'stateSize'), f32('y', 'total'), f32('s1', 'stateSize')],
    lets: wkvLets,
    call: 'sf::wkvForward(T, B, C, k, v, w, u, s0, y, s1);',
  },
  {
    name: 'wkvBackward',
    doc: 'Its vector–Jacobian product from gy: gk, gv, gw, gu overwritten (gw, gu summed over T and B); the forward states are recomputed.',
    args: [
      ...wkvHead, f32('k', 'total'), f32('v', 'total'), f32('w', 'C'), f32('u', 'C'), f32('s0', 'stateSize'), f32('gy', 'total'),
      f32('gk', 'total'), f32('gv', 'total'), f32('gw', 'C'), f32('gu', 'C'),
    ],
    lets: wkvLets,
    call: 'sf::wkvBackward(T, B, C, k, v, w, u, s0, gy, gk, gv, gw, gu);',
  },
  {
    name: 'tokenShiftForward',
    doc: 'RWKV token shift with mixing over [T, B, C]: out[t] = mu·x[t] + (1 − mu)·x[t−1], x[−1] = prev [B, C] (null: zeros); bit-identical to the reference.',
    args: [...wkvHead, f32('x', 'total'), f32('prev', 'rowSize', { nullable: true }), f32('mu', 'C'), f32('out', 'total')],
    lets: shiftLets,
    call: 'sf::tokenShiftForward(T, B, C, x, prev, mu, out);',
  },
  {
    name: 'tokenShiftBackward',
    doc: 'Its vector–Jacobian product from g: dx (overwritten) and dMu (overwritten, summed over t then b in double), either null when not wanted.',
    args: [
      ...wkvHead, f32('x', 'total'), f32('prev', 'rowSize', { nullable: true }), f32('mu', 'C'), f32('g', 'total'),
      f32('dx', 'total', { nullable: true }), f32('dMu', 'C', { nullable: true }),
    ],
    lets: shiftLets,
    call: 'sf::tokenShiftBackward(T, B, C, x, prev, mu, g, dx, dMu);',
  },
  {
    name: 'sigmoidGateForward',
    doc: 'sig = σ(r) (sgExp), out = y·σ(r), over n elements.',
    args: [dim('n'), f32('r', 'n'), f32('y', 'n'), f32('out', 'n'), f32('sig', 'n')],
    call: 'sf::sigmoidGateForward(n, r, y, out, sig);',
  },
  {
    name: 'sigmoidGateBackward',
    doc: 'dr = g·y·σ·(1 − σ), dy = g·σ over n elements; either null when not wanted.',
    args: [dim('n'), f32('g', 'n'), f32('y', 'n'), f32('sig', 'n'), f32('dr', 'n', { nullable: true }), f32('dy', 'n', { nullable: true })],
    call: 'sf::sigmoidGateBackward(n, g, y, sig, dr, dy);',
  },
  {
    name: 'reluSquareForward',
    doc: 'out = max(x, 0)² over n elements.',
    args: [dim('n'), f32('x', 'n'), f32('out', 'n')],
    call: 'sf::reluSquareForward(n, x, out);',
  },
  {
    name: 'reluSquareBackward',
    doc: 'dx = 2·x·g where x > 0, else 0, over n elements.',
    args: [dim('n'), f32('x', 'n'), f32('g', 'n'), f32('dx', 'n')],
    call: 'sf::reluSquareBackward(n, x, g, dx);',
  },
  {
    name: 'surrogateEval',
    doc: 'Test hook: out[i] = g(x[i]) for surrogate sid (parameters p0, p1), or e^x[i] (sgExp) for sid = -1, computed by the lane code the LIF backward uses on the active instruction set (vectors, then the tail one at a time).',
    args: [num('sid'), num('p0'), num('p1'), { name: 'x', kind: 'f64', bind: 'n' }, { name: 'out', kind: 'f64', len: 'n' }],
    checks: [['!(sid >= -1 && sid < sf::surrogate::kCount && sid == std::floor(sid))', 'std::string("sid must be -1 (exp) or a surrogate id below ") + std::to_string(sf::surrogate::kCount)']],
    call: 'sf::surrogateEval(static_cast<int>(sid), p0, p1, n, x, out);',
  },
  // Control functions: their wrappers are hand-written in addon.cc (they take no arrays).
  { name: 'info', hand: 'Info', ts: 'info(): { isa: NativeIsa; detectedIsa: NativeIsa; threads: number }', doc: 'Instruction set in use, the best one the CPU has, and the threads GEMM and the event kernels may use (1 or 2).' },
  { name: 'setIsa', hand: 'SetIsa', ts: 'setIsa(isa: NativeIsa): NativeIsa', doc: 'Lower the instruction set (tests of the fallback kernels); returns the one now active.' },
  { name: 'setThreads', hand: 'SetThreads', ts: 'setThreads(n: number): number', doc: 'Threads for GEMM and the event kernels, 1 or 2 (set at load from SPIKEFLOW_THREADS, default 2 on a multi-core machine); returns the value now used.' },
  { name: 'setErrorClass', hand: 'SetErrorClass', ts: 'setErrorClass(ctor: new (message: string) => Error): void', doc: 'Errors are thrown as `new ctor(message)` from then on.' },
];

/**
 * The wasm module's exports (kernels/wasm/index.ts, AssemblyScript): every
 * argument is a number (pointers are byte offsets into the module's memory,
 * flags are 0/1 i32s). `memory` is exported by the compiler, not listed here.
 */
export const wasm = [
  { name: 'heapBase', args: '', returns: 'number', doc: 'First byte after the module\'s static data: the JavaScript allocator starts above it.' },
  { name: 'gemm', args: 'tA tB M N K alpha A B beta C ap bp' },
  { name: 'gemmScratchA', args: 'M K', returns: 'number' },
  { name: 'gemmScratchB', args: 'N K', returns: 'number' },
  { name: 'scaleInPlace', args: 'x n beta' },
  { name: 'fill', args: 'x n value' },
  { name: 'copy', args: 'src dst n' },
  { name: 'binary', args: 'op a b out n' },
  { name: 'affine', args: 'x alpha beta out n' },
  { name: 'axpy', args: 'alpha x y n' },
  { name: 'addRowVector', args: 'M N Y b' },
  { name: 'sumRows', args: 'M N X beta out' },
  { name: 'sum', args: 'x n squares', returns: 'number' },
  { name: 'countNonzero', args: 'x n', returns: 'number' },
  { name: 'clamp', args: 'x n lo hi' },
  { name: 'eventGemm', args: 'M N K X Wt beta Y idx val' },
  { name: 'eventGemmGradW', args: 'M N K dY X dW acc idx val' },
  { name: 'lifForwardLeaky', args: 'T N mode fire beta threshold x v0 h spk mask', doc: 'LIF scans (kernels/wasm/lif.ts): `fire` 1 spikes at h ≥ θ (LifConfig.fireAtThreshold), 0 at h > θ.' },
  { name: 'lifForwardPlain', args: 'T B F mode delayedReset inputLeak vr bS tS fire x v0 beta thr h v spk mask' },
  { name: 'lifBackwardPlain', args: 'T B F mode delayedReset detachReset inputLeak vr bS tS fire sid p0 p1 x v0 beta thr h v gS gM dx dvC dBeta dThr' },
  {
    name: 'lifBackwardLeaky',
    args: 'T N mode detachReset inputLeak vr beta threshold fire sid p0 p1 x v0 trace h gS gM dx dvC dBeta dThr',
    doc: 'Delayed reset, β/θ per layer; dBeta = 0 skips the dβ/dθ sums (otherwise dThr must be a block too).',
  },
  {
    name: 'multiLevelForward',
    args: 'T B F D normalized hard vr bS tS x v0 beta thr spk v',
    doc: 'Multi-level scan (kernels/wasm/multilevel.ts), Heaviside counts; bS / tS: β / θ per neuron.',
  },
  {
    name: 'multiLevelBackward',
    args: 'T B F D normalized hard detach vr bS tS sid p0 p1 x v0 beta thr v gS gM gState dx dvC dBeta dThr',
    doc: 'gS / gM / gState / dx: 0 when absent; dvC: N f64 of scratch (ends as dL/dv0); dBeta / dThr: f64 scratch, dBeta = 0 skips both sums.',
  },
  { name: 'transpose', args: 'M N A out', doc: 'out[N, M] = transpose of A[M, N].' },
  { name: 'delayKernelBuild', args: 'n K interp sigma w p kernel g', doc: 'Delay kernels (kernels/wasm/delay.ts): `g` is scratch for K f64.' },
  { name: 'delayKernelBuildBackward', args: 'n K interp sigma w p dK dW dP', doc: 'dW / dP: 0 when not wanted.' },
  { name: 'delaySparseForward', args: 'Tin tStart tEnd B K I O rowPtr cols vals x y acc', doc: 'rowPtr/cols (i32) and vals (f32) copied into this memory; acc: scratch for B·O f64.' },
  { name: 'delayEventForward', args: 'T Tout B I O K x kernel y Wt start idx val' },
  { name: 'delayEventGradKernel', args: 'T Tout B I O K x dY dK acc start idx val' },
  { name: 'adamStep', args: 'p g m v vMax n lr beta1 beta2 eps wd decoupled stepSize bc2Sqrt' },
  { name: 'sgdStep', args: 'p g buf initBuf n lr momentum dampening nesterov wd' },
  {
    name: 'im2col',
    args: 'g C c0 cg n x cols',
    doc: 'Conv family (kernels/wasm/conv.ts): `g` points at the 12 i32s of a WindowGeometry (H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo).',
  },
  { name: 'col2im', args: 'g C c0 cg n cols dx' },
  { name: 'swapAxes01', args: 'A B inner src dst' },
  { name: 'addChannelBias', args: 'N C P y bias' },
  { name: 'channelSums', args: 'N C P x out' },
  { name: 'channelMoments', args: 'N C P x mean variance acc', doc: '`acc`: scratch for 2·C doubles.' },
  { name: 'channelCenteredDot', args: 'N C P dy x mean sumDy sumDyXc acc' },
  { name: 'channelAffine', args: 'N C P x a b y' },
  { name: 'channelAffine2', args: 'N C P u v a b k y' },
  { name: 'mulBroadcast', args: 'R N x v y' },
  { name: 'pool2d', args: 'mode g planes countIncludePad x y argmax', doc: 'mode: 0 max (argmax required), 1 avg, 2 sum.' },
  { name: 'pool2dBackward', args: 'mode g planes countIncludePad dy argmax dx' },
  { name: 'attentionScratchBytes', args: 'C N dh', returns: 'number', doc: 'Bytes of scratch the linear-attention kernels need for C channels, N tokens, head size dh.' },
  { name: 'layerNormScratchBytes', args: 'C N', returns: 'number' },
  {
    name: 'linearAttentionForward',
    args: 'R heads dh N scale q k v G out scratch',
    doc: 'Attention kernels (kernels/wasm/attention.ts); `scratch`: attentionScratchBytes(heads·dh, N, dh) bytes.',
  },
  { name: 'linearAttentionBackward', args: 'R heads dh N scale q k v G dOut dQ dK dV scratch', doc: 'dQ / dK / dV: 0 when not wanted.' },
  { name: 'rowDot', args: 'M N a b out' },
  { name: 'rowScale', args: 'M N x s out' },
  { name: 'layerNormForward', args: 'R C N eps x gamma beta stats out scratch', doc: 'gamma / beta: 0 for none; `scratch`: layerNormScratchBytes(C, N) bytes.' },
  { name: 'layerNormBackward', args: 'R C N x gamma stats dY dX dGamma dBeta scratch', doc: 'gamma / dGamma / dBeta: 0 for none.' },
  {
    name: 'surrogateEval',
    args: 'sid p0 p1 x out n simd',
    doc: 'Test hook: out[i] = g_sid(x[i]), or e^x[i] (sgExp) for sid = -1, over n f64 at byte offsets x, out; simd = 1: the f64x2 lane code.',
  },
  {
    name: 'eventConv',
    args: 'g N Cin Cout groups x w y scratch',
    doc: 'Event-driven convolution family (kernels/wasm/conv_event.ts); `scratch` sized by src/backend/wasm/conv.ts.',
  },
  { name: 'eventConvGradW', args: 'g N Cin Cout groups x dy dw scratch' },
  { name: 'convGradXSparse', args: 'g N Cin Cout groups dy w dx scratch' },
  { name: 'wkvScratchBytes', args: 'T C', returns: 'number', doc: 'Bytes of scratch wkvBackward needs for T tokens and C channels.' },
  { name: 'wkvForward', args: 'T B C k v w u s0 y s1', doc: 'The WKV recurrence (kernels/wasm/rwkv.ts), bit-identical to the reference.' },
  { name: 'wkvBackward', args: 'T B C k v w u s0 gy gk gv gw gu scratch', doc: '`scratch`: wkvScratchBytes(T, C) bytes.' },
];

/** Types the NativeAddon interface uses besides arrays and numbers. */
export const nativeTypes = {
  NativeIsa: "'avx512' | 'avx2' | 'scalar'",
};
