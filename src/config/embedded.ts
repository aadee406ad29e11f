/*
 * A config embedded in a weights file (model.safetensors' metadata) describes
 * the model and how it was trained, but it comes with a file that may have
 * been downloaded: it must not choose where spikeflow reads or writes. A
 * read-only `eval --weights` would otherwise create directories and write
 * cache files wherever the file's `data.cache_dir` says, or read data from
 * its `data.dir`. So the keys that name paths are dropped before use; the
 * user's --data-dir/--set/--config (applied afterwards) and the defaults
 * take their place.
 */

/** The path keys dropped from an embedded config: `section.key`, or a whole `section.key` block. */
export const EMBEDDED_PATH_KEYS = ['data.dir', 'data.cache_dir', 'train.distill'] as const;

/**
 * Remove the path keys from a raw (not yet validated) embedded config, in
 * place; returns the keys that were present (for a notice).
 */
export function dropEmbeddedPaths(raw: Record<string, unknown>): string[] {
  const dropped: string[] = [];
  for (const key of EMBEDDED_PATH_KEYS) {
    const [section, field] = key.split('.') as [string, string];
    const s = raw[section];
    if (s === null || typeof s !== 'object' || Array.isArray(s)) continue;
    const obj = s as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(obj, field)) {
      if (obj[field] !== null && obj[field] !== undefined) dropped.push(key);
      delete obj[field];
    }
  }
  return dropped;
}
