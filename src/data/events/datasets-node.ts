import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '../../errors.js';
import { readShdFile } from './hdf5-node.js';
import { readEventStream } from './io-node.js';
import type { ChannelEvents, DvsEvents, EventStream } from './stream.js';

export interface EventSample<S extends EventStream = EventStream> {
  events: S;
  label: number;
}

/** A labelled collection of recordings read from a local folder (nothing is downloaded). */
export interface EventDataset<S extends EventStream = EventStream> {
  readonly name: string;
  readonly length: number;
  readonly numClasses: number;
  readonly classes: readonly string[];
  get(i: number): EventSample<S>;
}

function listDirs(dir: string): string[] {
  return readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort();
}

/** Files of `ext` in class sub-folders of `dir`, with the class index of each (classes in sorted order). */
function classFolders(dir: string, ext: string, layout: string): { files: string[]; labels: number[]; classes: string[] } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new NotFoundError(`${dir}: folder not found. Expected layout: ${layout}`);
  const classes = listDirs(dir);
  const files: string[] = [], labels: number[] = [];
  classes.forEach((c, k) => {
    for (const f of readdirSync(join(dir, c)).sort()) {
      if (f.toLowerCase().endsWith(ext)) {
        files.push(join(dir, c, f));
        labels.push(k);
      }
    }
  });
  if (files.length === 0) throw new NotFoundError(`${dir}: no ${ext} files found in class folders. Expected layout: ${layout}`);
  return { files, labels, classes };
}

class FolderDataset implements EventDataset<DvsEvents> {
  readonly length: number;
  readonly numClasses: number;
  constructor(
    readonly name: string,
    readonly files: readonly string[],
    readonly labels: readonly number[],
    readonly classes: readonly string[],
    private readonly size: { width: number; height: number } | null,
  ) {
    this.length = files.length;
    this.numClasses = classes.length;
  }
  get(i: number): EventSample<DvsEvents> {
    const file = this.files[i];
    if (file === undefined) throw new NotFoundError(`${this.name}: sample ${i} is outside [0, ${this.length})`);
    const events = readEventStream(file, 'nmnist', this.size ?? {}) as DvsEvents;
    return { events, label: this.labels[i]! };
  }
}

const NMNIST_LAYOUT = '<root>/Train/<digit 0-9>/*.bin and <root>/Test/<digit 0-9>/*.bin (the released N-MNIST archives, unzipped)';

/** N-MNIST (Orchard et al. 2015), 34×34 sensor, from the unzipped Train/Test folders. */
export function openNMnist(root: string, split: 'train' | 'test'): EventDataset<DvsEvents> {
  const dir = join(root, split === 'train' ? 'Train' : 'Test');
  const { files, labels, classes } = classFolders(dir, '.bin', NMNIST_LAYOUT);
  return new FolderDataset(`nmnist-${split}`, files, labels, classes, { width: 34, height: 34 });
}

const NCALTECH_LAYOUT = '<root>/<category>/image_NNNN.bin (the released Caltech101 folder of N-Caltech101, unzipped)';

/** N-Caltech101: one folder per category; sensor size from each file's extent (up to 240×180). */
export function openNCaltech101(root: string): EventDataset<DvsEvents> {
  const { files, labels, classes } = classFolders(root, '.bin', NCALTECH_LAYOUT);
  return new FolderDataset('ncaltech101', files, labels, classes, null);
}

/** SHD (20 classes) or SSC (35 classes) from `<root>/{shd,ssc}_<split>.h5`. */
export async function openShd(root: string, split: 'train' | 'test' | 'valid', variant: 'shd' | 'ssc' = 'shd'): Promise<EventDataset<ChannelEvents>> {
  const file = join(root, `${variant}_${split}.h5`);
  if (!existsSync(file)) {
    throw new NotFoundError(`${file}: not found. Expected layout: <root>/${variant}_train.h5 and <root>/${variant}_test.h5${variant === 'ssc' ? ' (and ssc_valid.h5)' : ''}, gunzipped from the released archives`);
  }
  const shd = await readShdFile(file);
  let max = 0;
  for (const l of shd.labels) max = Math.max(max, l);
  const numClasses = Math.max(variant === 'shd' ? 20 : 35, max + 1);
  const classes = Array.from({ length: numClasses }, (_, k) => String(k));
  return {
    name: `${variant}-${split}`,
    length: shd.samples.length,
    numClasses,
    classes,
    get(i: number): EventSample<ChannelEvents> {
      const events = shd.samples[i];
      if (!events) throw new NotFoundError(`${variant}-${split}: sample ${i} is outside [0, ${shd.samples.length})`);
      return { events, label: shd.labels[i]! };
    },
  };
}
