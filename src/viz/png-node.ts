import { createRequire } from 'node:module';
import { ConfigError } from '../errors.js';

/** The part of @resvg/resvg-js used here. */
interface ResvgModule {
  Resvg: new (svg: string, opts: Record<string, unknown>) => { render(): { asPng(): Uint8Array; width: number; height: number } };
}

let resvg: ResvgModule | null = null;

/** Loaded on first use, so commands that draw no PNG never load the native renderer. */
function renderer(): ResvgModule {
  if (resvg) return resvg;
  try {
    resvg = createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule;
  } catch (e) {
    throw new ConfigError(`PNG output needs the @resvg/resvg-js package with its prebuilt binary for ${process.platform}-${process.arch} (${(e as Error).message.split('\n')[0]})`);
  }
  return resvg;
}

export interface PngOptions {
  /** Pixels per SVG unit (default 2: sharp on high-density screens and in docs). */
  scale?: number;
}

/**
 * Render an SVG string from src/viz to PNG bytes with resvg (a Rust
 * renderer shipped as a prebuilt Node addon: no browser, no Cairo). Text uses
 * the system's fonts, DejaVu Sans first, as the plots' font list asks.
 */
export function svgToPng(svg: string, opts: PngOptions = {}): Uint8Array {
  const scale = opts.scale ?? 2;
  if (!(scale > 0 && scale <= 8)) throw new ConfigError(`PNG scale must be in (0, 8], got ${scale}`);
  const { Resvg } = renderer();
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}
