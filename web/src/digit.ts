/*
 * A drawn digit → the 28×28 intensities the network was trained on. MNIST's
 * own preprocessing: the ink's bounding box is scaled to fit 20×20 (aspect
 * kept) and placed in a 28×28 frame so that its centre of mass sits at the
 * centre. Without it a digit drawn small or off-centre reads as noise to a
 * network that never saw one.
 */
export const SIDE = 28;
const BOX = 20;

/** The pad's digit as [1, 28, 28] values in [0, 1], or null when nothing is drawn. */
export function digitFromCanvas(pad: HTMLCanvasElement): Float32Array | null {
  const src = pad.getContext('2d')!.getImageData(0, 0, pad.width, pad.height);
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < src.width; x++) {
      if (src.data[(y * src.width + x) * 4]! > 32) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1, h = y1 - y0 + 1;
  const scale = BOX / Math.max(w, h);
  const small = document.createElement('canvas');
  small.width = SIDE;
  small.height = SIDE;
  const sctx = small.getContext('2d')!;
  sctx.fillStyle = 'black';
  sctx.fillRect(0, 0, SIDE, SIDE);
  sctx.imageSmoothingEnabled = true;
  sctx.imageSmoothingQuality = 'high';
  const dw = w * scale, dh = h * scale;
  sctx.drawImage(pad, x0, y0, w, h, (SIDE - dw) / 2, (SIDE - dh) / 2, dw, dh);
  const img = sctx.getImageData(0, 0, SIDE, SIDE).data;
  const v = new Float32Array(SIDE * SIDE);
  let mass = 0, cx = 0, cy = 0;
  for (let i = 0; i < v.length; i++) {
    v[i] = img[i * 4]! / 255;
    mass += v[i]!;
    cx += v[i]! * (i % SIDE);
    cy += v[i]! * Math.floor(i / SIDE);
  }
  // Shift by whole pixels so the centre of mass lands on the frame's centre.
  const dx = Math.round((SIDE - 1) / 2 - cx / mass), dy = Math.round((SIDE - 1) / 2 - cy / mass);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const sx = x - dx, sy = y - dy;
      if (sx >= 0 && sx < SIDE && sy >= 0 && sy < SIDE) out[y * SIDE + x] = v[sy * SIDE + sx]!;
    }
  }
  return out;
}
