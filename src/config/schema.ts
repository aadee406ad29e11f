import { z } from 'zod';

/*
 * The run configuration, as written in YAML. Keys are snake_case like the
 * Python frameworks' configs. Every object is strict: an unknown key is an
 * error naming its path, never silently ignored. Layer and encoder options are
 * checked here for shape and type; the layer factories check their meaning.
 */

const surrogate = z.union([
  z.string(),
  z
    .object({ name: z.string() })
    .catchall(z.number()),
]);

/** One layer: a `type` plus that layer's options (validated by its factory). */
const layer = z
  .object({ type: z.string() })
  .catchall(z.union([z.number(), z.string(), z.boolean(), z.null(), z.array(z.number()), surrogate]));

export const configSchema = z
  .object({
    name: z.string().default('run'),
    seed: z.number().int().min(0).default(42),
    backend: z.string().default('auto'),
    data: z
      .object({
        dataset: z.enum(['mnist', 'fashion-mnist', 'idx', 'nmnist-emulated']).default('mnist'),
        dir: z.string().nullable().default(null),
        /** Event datasets: time bins per sample; null = encoder.steps. */
        frames: z.number().int().positive().nullable().default(null),
        /** Cache generated datasets (nmnist-emulated) on disk. */
        cache: z.boolean().default(true),
        /** Cache folder; null = $SPIKEFLOW_CACHE_DIR, else $XDG_CACHE_HOME/spikeflow, else ~/.cache/spikeflow. */
        cache_dir: z.string().nullable().default(null),
        /**
         * nmnist-emulated generation. `seed` is the dataset's own seed (not the
         * run seed): like a recorded dataset, the samples stay the same when the
         * run seed changes, and runs share the cache.
         */
        emulator: z
          .object({
            seed: z.number().int().min(0).default(0),
            frames_per_saccade: z.number().int().positive().default(10),
            threshold: z.number().positive().default(0.2),
            threshold_sigma: z.number().min(0).default(0.03),
            refractory_us: z.number().min(0).default(0),
            noise_rate: z.number().min(0).default(0),
          })
          .strict()
          .default({}),
        batch_size: z.number().int().positive().default(128),
        test_batch_size: z.number().int().positive().default(256),
        /** Use only the first N training samples (quick experiments); null = all. */
        train_limit: z.number().int().positive().nullable().default(null),
        test_limit: z.number().int().positive().nullable().default(null),
      })
      .strict()
      .default({}),
    encoder: z
      .object({ type: z.string().default('rate'), steps: z.number().int().positive().default(25) })
      .catchall(z.union([z.number(), z.string(), z.boolean()]))
      .default({}),
    model: z
      .object({
        layers: z.array(layer).min(1),
      })
      .strict(),
    train: z
      .object({
        epochs: z.number().int().min(0).default(1),
        loss: z
          .object({ type: z.string().default('ce_rate') })
          .catchall(z.union([z.number(), z.string()]))
          .default({}),
        optimizer: z
          .object({
            type: z.enum(['sgd', 'adam', 'adamw']).default('adam'),
            lr: z.number().positive().default(5e-4),
            momentum: z.number().min(0).default(0),
            nesterov: z.boolean().default(false),
            weight_decay: z.number().min(0).default(0),
            betas: z.tuple([z.number(), z.number()]).default([0.9, 0.999]),
            eps: z.number().positive().default(1e-8),
          })
          .strict()
          .default({}),
        scheduler: z
          .object({
            type: z.enum(['none', 'step', 'cosine']).default('none'),
            step_size: z.number().int().positive().default(1),
            gamma: z.number().positive().default(0.1),
            eta_min: z.number().min(0).default(0),
            warmup_epochs: z.number().min(0).default(0),
          })
          .strict()
          .default({}),
        clip_grad_norm: z.number().positive().nullable().default(null),
        /** Truncated BPTT chunk length in steps; 0 = full BPTT. */
        tbptt: z.number().int().min(0).default(0),
      })
      .strict()
      .default({}),
  })
  .strict();

export type RunConfig = z.infer<typeof configSchema>;
export type LayerSpec = RunConfig['model']['layers'][number];
