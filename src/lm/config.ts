import { z, type ZodError } from 'zod';
import { ConfigError } from '../errors.js';
import type { LayerConfig } from '../nn/layers.js';
import { LM_LR_SCHEDULES } from './train.js';

/*
 * The config of a language-model run (`task: language_model`,
 * docs/spikegpt.md). Its own strict schema rather than the classification
 * runs' RunConfig: a language model has no encoder, classes or test-set
 * accuracy, its data is a token stream and its run length a step count or a
 * time budget. The model is the ordinary layer list, checked by the model
 * builder with each layer's option spec (messages name model.layers[i]).
 */

export const LM_TASK = 'language_model';

const layer = z.object({ type: z.string().min(1) }).passthrough();

export const lmConfigSchema = z
  .object({
    task: z.literal(LM_TASK),
    name: z.string().min(1).default('lm'),
    seed: z.number().int().min(0).default(42),
    backend: z.string().default('auto'),
    data: z
      .object({
        dataset: z.enum(['text', 'kjv']),
        path: z.string().min(1).nullable().default(null),
        splits: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).default([0.9, 0.05, 0.05]),
        context: z.number().int().positive().default(128),
        batch_size: z.number().int().positive().default(16),
      })
      .strict(),
    model: z.object({ layers: z.array(layer).min(1) }).strict(),
    train: z
      .object({
        steps: z.number().int().positive().nullable().default(null),
        minutes: z.number().positive().nullable().default(null),
        lr: z.number().positive().default(6e-4),
        lr_final: z.number().positive().default(1e-5),
        lr_schedule: z.enum(LM_LR_SCHEDULES).default('exponential'),
        warmup_steps: z.number().int().min(0).default(0),
        betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.99]),
        eps: z.number().positive().default(1e-8),
        clip_grad_norm: z.number().positive().nullable().default(1),
        l2wrap: z.number().min(0).default(1e-4),
        eval_every: z.number().int().positive().default(250),
        eval_tokens: z.number().int().positive().default(32768),
        log_every: z.number().int().positive().default(25),
      })
      .strict(),
    eval: z
      .object({
        test_tokens: z.number().int().positive().nullable().default(null),
        speed_tokens: z.number().int().positive().default(500),
      })
      .strict()
      .default({}),
    limits: z.object({ data_bytes: z.number().int().positive().optional() }).strict().default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.train.steps === null && c.train.minutes === null) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['train'], message: 'give train.steps or train.minutes (or both: whichever ends first)' });
    if (c.data.dataset === 'text' && c.data.path === null) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['data', 'path'], message: "dataset 'text' needs data.path (a UTF-8 text file; or --data-dir)" });
    const sum = c.data.splits[0] + c.data.splits[1] + c.data.splits[2];
    if (Math.abs(sum - 1) > 1e-9) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['data', 'splits'], message: `the three fractions must sum to 1, got ${sum}` });
  });

export type LmConfig = z.infer<typeof lmConfigSchema> & { model: { layers: LayerConfig[] } };

/** A raw (parsed YAML) object is a language-model config when it says so. */
export function isLmConfig(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { task?: unknown }).task === LM_TASK;
}

function zodMessage(e: ZodError, source: string): string {
  return e.issues.map((i) => `${source}: ${i.path.length ? i.path.join('.') : '(top)'}: ${i.message}`).join('\n');
}

/** Validate a parsed config; every problem is listed, each naming its key. */
export function validateLmConfig(raw: unknown, source: string): LmConfig {
  const r = lmConfigSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(zodMessage(r.error, source));
  return r.data as LmConfig;
}
