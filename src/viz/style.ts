/**
 * One look for every plot: a font the PNG renderer finds on Linux (DejaVu
 * Sans) with common fallbacks for browsers, the Okabe–Ito palette for
 * categories (distinguishable with the common colour-vision deficiencies) and a
 * viridis-like sequential map for magnitudes (perceptually even, readable in
 * grey).
 */

export const FONT = "'DejaVu Sans', Verdana, Arial, Helvetica, sans-serif";

export const FONT_SIZE = { title: 15, label: 12, tick: 10.5, note: 10.5 } as const;

/** Okabe & Ito (2008), "Color Universal Design". */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
} as const;

/** Category colours in the order series take them (black is kept for annotations). */
export const CATEGORY = [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.green, OKABE_ITO.orange, OKABE_ITO.purple, OKABE_ITO.skyBlue, OKABE_ITO.yellow] as const;

export const INK = '#222222';
export const GRID = '#e3e3e3';
export const AXIS = '#555555';

/** Viridis sampled at nine evenly spaced points; colours between are interpolated in RGB. */
const VIRIDIS_STOPS: readonly (readonly [number, number, number])[] = [
  [0x44, 0x01, 0x54],
  [0x47, 0x2d, 0x7b],
  [0x3b, 0x52, 0x8b],
  [0x2c, 0x72, 0x8e],
  [0x21, 0x91, 0x8c],
  [0x28, 0xae, 0x80],
  [0x5e, 0xc9, 0x62],
  [0xad, 0xdc, 0x30],
  [0xfd, 0xe7, 0x25],
];

function hex2(v: number): string {
  return Math.round(Math.max(0, Math.min(255, v)))
    .toString(16)
    .padStart(2, '0');
}

/** The sequential colour of `t` in [0, 1] (clamped; NaN gives the low end). */
export function sequential(t: number): string {
  const u = Number.isFinite(t) ? Math.max(0, Math.min(1, t)) : 0;
  const f = u * (VIRIDIS_STOPS.length - 1);
  const i = Math.min(VIRIDIS_STOPS.length - 2, Math.floor(f));
  const a = VIRIDIS_STOPS[i]!, b = VIRIDIS_STOPS[i + 1]!;
  const w = f - i;
  return `#${hex2(a[0] + (b[0] - a[0]) * w)}${hex2(a[1] + (b[1] - a[1]) * w)}${hex2(a[2] + (b[2] - a[2]) * w)}`;
}

/** Whether text on the sequential colour of `t` should be white (dark cell) rather than black. */
export function darkOnSequential(t: number): boolean {
  return t < 0.55;
}

/** Rough width of `s` in DejaVu Sans at `size` px, for layout without a DOM (errs wide). */
export function textWidth(s: string, size: number): number {
  return s.length * size * 0.62;
}
