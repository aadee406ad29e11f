import { ConfigError } from '../../errors.js';
import { Rng } from '../../tensor/rng.js';

/**
 * `x` plus white Gaussian noise at `snrDb` below the signal's mean power
 * (over the whole clip, silences included, so a clip's SNR does not depend
 * on a voice-activity detector). Deterministic for a given `seed`. A silent
 * clip is returned unchanged (there is no level to set the noise from).
 */
export function addNoise(x: Float32Array, snrDb: number, seed: number): Float32Array {
  if (!Number.isFinite(snrDb)) throw new ConfigError(`addNoise: snr_db must be a finite number of dB, got ${snrDb}`);
  let power = 0;
  for (let i = 0; i < x.length; i++) power += x[i]! * x[i]!;
  power /= Math.max(1, x.length);
  const out = x.slice();
  if (power === 0) return out;
  const sigma = Math.sqrt(power / 10 ** (snrDb / 10));
  const rng = new Rng(seed);
  for (let i = 0; i < out.length; i++) out[i]! += sigma * rng.normal();
  return out;
}
