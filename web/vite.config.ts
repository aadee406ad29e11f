import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

/*
 * The playground build (`npm run build:web`): web/ → dist/web, relative
 * asset paths so the page works from any folder `spikeflow serve` is given.
 * The worker is an ES module (it imports the NIR code on demand).
 * The digits (mnist-digits.bin) are not Vite's business: scripts/pack-web-digits.mjs
 * writes them into the output afterwards.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // h5wasm embeds its wasm module, so its chunk is big by nature (loaded only for NIR).
    chunkSizeWarningLimit: 4000,
  },
  worker: { format: 'es' },
  logLevel: 'warn',
});
