import { ShapeError } from '../../errors.js';

/**
 * RGB image (H×W×3 bytes) of one [2, H, W] frame: ON counts in red, OFF
 * counts in blue, on black. Brightness is count / (largest count in the
 * frame), so sparse and dense frames both stay visible.
 */
export function renderPolarityFrame(frame: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  if (frame.length !== 2 * plane) throw new ShapeError(`renderPolarityFrame: ${frame.length} values is not [2, ${height}, ${width}]`);
  let max = 0;
  for (let i = 0; i < frame.length; i++) if (frame[i]! > max) max = frame[i]!;
  const rgb = new Uint8Array(plane * 3);
  if (max === 0) return rgb;
  const k = 255 / max;
  for (let i = 0; i < plane; i++) {
    rgb[3 * i] = Math.round(frame[plane + i]! * k);
    rgb[3 * i + 2] = Math.round(frame[i]! * k);
  }
  return rgb;
}
