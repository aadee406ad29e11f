import test from 'node:test';
import { backendsFor, bpttCases, checkBptt, checkForward, forwardCases, maxErr, MODES } from '../snntorch-parity.js';

/*
 * RLeaky against snnTorch itself (test/fixtures/snntorch-parity/, made by
 * test/fixtures/make_snntorch_parity.py with snnTorch 0.9.4): every reset
 * mechanism x reset_delay, float32 and float64, inputs past 2θ, default
 * options; on every backend, fused, step by step and through the step rule.
 */

for (const c of forwardCases('rleaky')) {
  test(`snnTorch parity ${c.name}: spikes identical, membranes within tolerance`, () => {
    for (const [, be] of backendsFor(c.dtype)) for (const mode of MODES) checkForward('rleaky', c, be, mode);
  });
}

for (const c of bpttCases('rleaky')) {
  test(`snnTorch parity BPTT ${c.name}: loss, dW, db, dβ, dθ within 1e-4 relative`, () => {
    for (const [, be] of backendsFor(c.dtype)) for (const mode of MODES) checkBptt(c, be, mode);
  });
}

test('snnTorch parity (rleaky): largest deviations', (t) => {
  t.diagnostic(`rleaky: max |Δmem| float32 ${maxErr.float32.toExponential(2)}, float64 ${maxErr.float64.toExponential(2)}; max gradient rel err ${maxErr.gradRel.toExponential(2)}`);
});
