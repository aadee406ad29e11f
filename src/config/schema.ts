import { z } from 'zod';
import { camelToSnake, type OptionSpec } from '../registry/options.js';
import type { Registry, RegistryEntry } from '../registry/registry.js';
import { layerRegistry } from '../nn/layers.js';
import { layerTypes, neuronLayerType, type LayerConfig } from '../nn/builder.js';
import { encoderRegistry } from '../encoding/factory.js';
import { lossRegistry, type LossConfig } from '../train/losses.js';
import { optimizerRegistry, type OptimizerConfig } from '../train/optim/registry.js';
import { schedulerRegistry, type SchedulerConfig } from '../train/scheduler-registry.js';
import type { ParamGroupConfig } from '../train/param-groups.js';
import { datasetRegistry } from '../data/registry.js';
import { optionsObjectSchema } from './options-zod.js';
import { QUANTIZE_OPTIONS, type QuantizeSection } from '../quant/options.js';
import { runNameProblem } from './run-name.js';
import { ONLINE_UPDATES, TRAIN_METHODS, type OnlineUpdate, type TrainMethod } from '../train/online.js';

/*
 * The run configuration, as written in YAML. Keys are snake_case like the
 * Python frameworks' configs. Every object is strict: an unknown key is an
 * error naming its path, never silently ignored.
 *
 * The sections that name a registered thing (model.layers[i], encoder,
 * train.loss, train.optimizer, train.scheduler, data.dataset) take their
 * accepted names and option shapes from the registries (src/nn/layers.ts,
 * src/encoding/factory.ts, src/train/losses.ts, src/train/optim/registry.ts,
 * src/train/scheduler-registry.ts, src/data/registry.ts). The lookup happens
 * when a config is parsed, so an entry registered after this module loaded
 * (a plugin's layer, a test's) is accepted too.
 */

/** The `encoder:` block: a registered type, the number of steps, the type's options (snake_case). */
export interface EncoderSection {
  type: string;
  steps: number;
  [option: string]: unknown;
}

export interface EmulatorSection {
  seed: number;
  frames_per_saccade: number;
  threshold: number;
  threshold_sigma: number;
  refractory_us: number;
  noise_rate: number;
}

export interface DataSection {
  /** A registered dataset (datasetRegistry); the Node entry registers mnist, fashion-mnist, idx, nmnist-emulated. */
  dataset: string;
  dir: string | null;
  /** Temporal datasets: time bins per sample; null = encoder.steps. */
  frames: number | null;
  /**
   * The dataset's own options (its registry entry's option spec, e.g. the
   * event transforms of nmnist or shd); absent for datasets that declare none.
   */
  options?: Record<string, unknown>;
  /** Cache generated or converted datasets (nmnist-emulated, the recorded event datasets) on disk. */
  cache: boolean;
  /** Cache folder; null = $SPIKEFLOW_CACHE_DIR, else $XDG_CACHE_HOME/spikeflow, else ~/.cache/spikeflow. */
  cache_dir: string | null;
  /** nmnist-emulated generation. */
  emulator: EmulatorSection;
  batch_size: number;
  /**
   * Skip the last, smaller training batch of each epoch (PyTorch's
   * `drop_last=True`, as the snnTorch tutorials train). Test batches are never dropped.
   */
  drop_last: boolean;
  test_batch_size: number;
  /** Use only the first N training samples (quick experiments); null = all. */
  train_limit: number | null;
  test_limit: number | null;
  /**
   * Training samples held out as the validation split (0: none): drawn once
   * by a fixed generator (src/data/validation.ts), never trained on; early
   * exit chooses its threshold on them.
   */
  validation: number;
  /** Random augmentation of the training batches (image datasets; never the test split). */
  augment: AugmentSection;
  /** Per-channel (x − mean) / std of both splits (image datasets); null = none. */
  normalize: { mean: number[]; std: number[] } | null;
}

export interface AugmentSection {
  /** Crop the sample's own size out of the image zero-padded by `padding` on each side; null = off. */
  random_crop: { padding: number } | null;
  /** Mirror left-right with probability 0.5. */
  horizontal_flip: boolean;
}

export interface TrainSection {
  epochs: number;
  loss: LossConfig;
  optimizer: OptimizerConfig;
  scheduler: SchedulerConfig;
  /** Parameters with their own learning rate, weight decay and schedule (DCLS delay positions). */
  param_groups: ParamGroupConfig[];
  clip_grad_norm: number | null;
  /**
   * Check every parameter for NaN/Inf after every N-th optimizer update
   * (0: only before each checkpoint and the final model are written); the
   * error names the layer as the config wrote it and the parameter.
   */
  check_finite_every: number;
  /** Check each layer's output for NaN/Inf during training, naming the first layer producing one (slower: a debugging aid). */
  check_activations: boolean;
  /**
   * How gradients cross time (docs/online-training.md): bptt, tbptt (chunks
   * of `tbptt` steps), or the online methods sltt, sltt_k, ottt. Left out
   * of a config: tbptt when `tbptt` > 0 (configs written before the key),
   * else bptt; the parsed config always holds it.
   */
  method: TrainMethod;
  /** Truncated BPTT chunk length in steps (method tbptt); 0 otherwise. */
  tbptt: number;
  /** SLTT-K: steps backpropagated per batch (method sltt_k only). */
  sltt_k: number | null;
  /** Online methods: one update per batch from the accumulated gradients ('sequence') or one per step ('step', OTTT_O). */
  online_update: OnlineUpdate;
  /**
   * Retrain at fewer steps stage by stage from the previous stage's weights
   * (IIR-SNN; docs/online-training.md), e.g. [5, 3, 2, 1]; null: one stage
   * at encoder.steps. The last entry must equal encoder.steps, the T the
   * saved model runs at.
   */
  timestep_schedule: number[] | null;
  /** Epochs of each stage: one number for all, or one per stage; null: train.epochs each. */
  stage_epochs: number | number[] | null;
  /** Knowledge distillation from a finished run (docs/distillation.md); absent: none. */
  distill?: DistillSection;
  /**
   * Training batches the batch-norm running statistics are re-estimated on
   * (plain average, weights fixed) after each epoch, before its test pass;
   * 0: never. For low-bit quantization-aware training (docs/quantization.md).
   */
  bn_recalibration: number;
}

/** `train.distill`: the teacher run folder and how its outputs enter the loss. */
export interface DistillSection {
  /** A finished run's folder (config.yaml + model.safetensors), relative to the working directory. */
  teacher: string;
  temperature: number;
  /** Weight of the soft-target term; the task loss gets 1 − alpha. */
  alpha: number;
  /** Module pairs aligned by MSE, or 'blocks' (the top-level layers with sub-layers, in order, weight 1). */
  features: 'blocks' | { student: string; teacher: string; weight: number }[];
}

/** A validated run configuration, defaults filled in. */
export interface RunConfig {
  name: string;
  seed: number;
  backend: string;
  data: DataSection;
  encoder: EncoderSection;
  /** `quantize`: weight quantization of the built model (docs/quantization.md); absent = float32. */
  model: { layers: LayerConfig[]; quantize?: QuantizeSection };
  train: TrainSection;
  /** Size budgets (bytes) checked before allocating what files and configs declare; absent keys take DEFAULT_LIMITS (src/io/limits.ts). */
  limits?: LimitsSection;
}

/** `limits`: see docs/config.md. */
export interface LimitsSection {
  /** Most bytes one data file may hold once decompressed (default 1 GiB). */
  data_bytes?: number;
  /** Most bytes of model parameters, float32 (default 1 GiB). */
  parameter_bytes?: number;
  /** Most bytes of one layer's output per sample and time step, float32 (default 256 MiB). */
  activation_bytes?: number;
}

export type LayerSpec = LayerConfig;

/** What a section needs to know about the entry its `type` names. */
interface SectionEntry {
  readonly name: string;
  /** undefined: the entry declares no option spec; its options get the permissive shape (neuron types not yet in the neuron registry). */
  readonly options: OptionSpec | undefined;
}

interface SectionOptions {
  /** Messages: 'unknown optimizer ...'. */
  kind: string;
  lookup(type: string): SectionEntry | undefined;
  names(): string[];
  /** The type when the section leaves it out (undefined: `type` is required). */
  defaultType?: string;
  /** Fill option defaults into the parsed config (sections whose parsed config always showed every value). */
  fillDefaults: boolean;
  /** Keys other than `type` that the section itself owns (the encoder's `steps`). */
  own?: z.ZodRawShape;
  /**
   * Entries of one registry whose options, before the registries, were a
   * single shared list (optimizer, scheduler): a saved config.yaml of that
   * time carries every key of the list at its default. Such a key, when it
   * belongs to a sibling entry and equals that sibling's default, is dropped
   * rather than rejected, so old run folders still load; any other value
   * is still an unknown option.
   */
  legacySiblings?: () => readonly RegistryEntry[];
  /**
   * The schema of one nested layer config, for options that hold layers
   * (`accepts: ['layer']` or `['layers']`: a container's body, an attention
   * block's neuron). The layer section passes itself, so nesting is checked
   * as strictly as the top-level list, with paths through the nesting.
   */
  nestedLayer?: () => z.ZodTypeAny;
}

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Values a layer option could take before the layer declared its options (the old per-layer catchall). */
const permissiveValue = z.union([
  z.number(),
  z.string(),
  z.boolean(),
  z.null(),
  z.array(z.number()),
  z.object({ name: z.string() }).catchall(z.number()),
]);

/** Strict option objects, generated once per spec. */
const specSchemas = new WeakMap<OptionSpec, { filled: z.AnyZodObject; bare: z.AnyZodObject }>();
function specSchema(spec: OptionSpec, fill: boolean): z.AnyZodObject {
  let s = specSchemas.get(spec);
  if (!s) specSchemas.set(spec, (s = { filled: optionsObjectSchema(spec, true), bare: optionsObjectSchema(spec, false) }));
  return fill ? s.filled : s.bare;
}

/**
 * `{ type, ...options }` where `type` names a registry entry and the options
 * are checked against that entry's spec: an unknown type or option is one
 * issue naming the section's path, the entry and what it accepts.
 */
function registrySection(o: SectionOptions): z.ZodType<Record<string, unknown> & { type: string }, z.ZodTypeDef, unknown> {
  const base = z.object({ type: o.defaultType === undefined ? z.string() : z.string().default(o.defaultType), ...(o.own ?? {}) }).passthrough();
  const ownKeys = ['type', ...Object.keys(o.own ?? {})];
  return base.transform((v, ctx) => {
    const type = v.type;
    const entry = o.lookup(type);
    if (!entry) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['type'], message: `unknown ${o.kind} '${type}' (accepted: ${o.names().join(', ')})` });
      return z.NEVER;
    }
    const own: Record<string, unknown> = {};
    const rest: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) (ownKeys.includes(k) ? own : rest)[k] = x;
    if (!entry.options) {
      const r = z.record(permissiveValue).safeParse(rest);
      if (!r.success) {
        for (const issue of r.error.issues) ctx.addIssue(issue);
        return z.NEVER;
      }
      return { ...own, ...r.data } as Record<string, unknown> & { type: string };
    }
    const spec = entry.options;
    if (o.legacySiblings) {
      for (const sib of o.legacySiblings()) {
        for (const [k, d] of Object.entries(sib.options)) {
          const key = camelToSnake(k);
          if (!(k in spec) && key in rest && d.default !== undefined && sameValue(rest[key], d.default)) delete rest[key];
        }
      }
    }
    const r = specSchema(spec, o.fillDefaults).safeParse(rest);
    if (!r.success) {
      for (const issue of r.error.issues) {
        if (issue.code === z.ZodIssueCode.unrecognized_keys) {
          const accepted = Object.keys(spec).map(camelToSnake).sort().join(', ') || 'none';
          const keys = issue.keys.map((k) => `'${k}'`).join(', ');
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: issue.path, message: `unknown option${issue.keys.length > 1 ? 's' : ''} ${keys} for ${o.kind} '${type}' (accepted: ${accepted})` });
        } else ctx.addIssue(issue);
      }
      return z.NEVER;
    }
    for (const [k, d] of Object.entries(spec)) {
      const key = camelToSnake(k);
      if (d.required && r.data[key] === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `option '${key}' of ${o.kind} '${type}' is required${d.doc ? ` (${d.doc})` : ''}` });
        return z.NEVER;
      }
    }
    const data = r.data as Record<string, unknown>;
    if (o.nestedLayer) {
      for (const [k, d] of Object.entries(spec)) {
        const key = camelToSnake(k);
        if (d.type !== 'custom' || data[key] === undefined) continue;
        const list = d.accepts.includes('layers');
        if (!list && !d.accepts.includes('layer')) continue;
        const inner = o.nestedLayer();
        const n = (list ? z.array(inner).nonempty() : inner).safeParse(data[key]);
        if (!n.success) {
          for (const issue of n.error.issues) ctx.addIssue({ ...issue, path: [key, ...issue.path] });
          return z.NEVER;
        }
        data[key] = n.data;
      }
    }
    return { ...own, ...data } as Record<string, unknown> & { type: string };
  });
}

function fromRegistry<E extends RegistryEntry>(registry: Registry<E>): Pick<SectionOptions, 'lookup' | 'names'> {
  return { lookup: (t) => (registry.has(t) ? registry.get(t) : undefined), names: () => registry.names() };
}

/**
 * `data.options` checked against the named dataset's option spec (strict,
 * defaults filled in so a saved config shows the transforms a run used).
 * Datasets that declare no options keep the key absent, so their parsed
 * configs are unchanged; giving options to one of them is an error.
 */
function datasetOptions<D extends { dataset: string; options?: Record<string, unknown> | undefined }>(d: D, ctx: z.RefinementCtx): D {
  if (!datasetRegistry.has(d.dataset)) return d;
  const spec = datasetRegistry.get(d.dataset).options;
  if (Object.keys(spec).length === 0) {
    if (d.options !== undefined && Object.keys(d.options).length > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['options'], message: `dataset '${d.dataset}' takes no options (got ${Object.keys(d.options).join(', ')})` });
    }
    const { options: _o, ...rest } = d;
    return rest as D;
  }
  const r = specSchema(spec, true).safeParse(d.options ?? {});
  if (!r.success) {
    for (const issue of r.error.issues) {
      if (issue.code === z.ZodIssueCode.unrecognized_keys) {
        const accepted = Object.keys(spec).map(camelToSnake).sort().join(', ');
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['options', ...issue.path], message: `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} for dataset '${d.dataset}' (accepted: ${accepted})` });
      } else ctx.addIssue({ ...issue, path: ['options', ...issue.path] });
    }
    return d;
  }
  return { ...d, options: r.data as Record<string, unknown> };
}

/**
 * A fixed section declared by an option spec (not a registry entry):
 * strict, defaults filled in, required options checked; an unknown key is
 * one issue naming it and the accepted keys.
 */
function specSection(spec: OptionSpec, name: string): z.ZodType<Record<string, unknown>, z.ZodTypeDef, unknown> {
  return z.record(z.unknown()).transform((v, ctx) => {
    const r = specSchema(spec, true).safeParse(v);
    if (!r.success) {
      for (const issue of r.error.issues) {
        if (issue.code === z.ZodIssueCode.unrecognized_keys) {
          const accepted = Object.keys(spec).map(camelToSnake).sort().join(', ');
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: issue.path, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} in ${name} (accepted: ${accepted})` });
        } else ctx.addIssue(issue);
      }
      return z.NEVER;
    }
    for (const [k, d] of Object.entries(spec)) {
      const key = camelToSnake(k);
      if (d.required && r.data[key] === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `required${d.doc ? ` (${d.doc})` : ''}` });
        return z.NEVER;
      }
    }
    return r.data as Record<string, unknown>;
  });
}

/** A layer type is a stateless layer (layerRegistry) or a neuron type (the builder's neuronLayerType). */
function lookupLayer(type: string): SectionEntry | undefined {
  if (layerRegistry.has(type)) return layerRegistry.get(type);
  const n = neuronLayerType(type);
  return n ? { name: type, options: n.options } : undefined;
}

/**
 * Build the zod schema of a run config from the registries. The result
 * checks names against the registries at parse time, so one schema serves
 * for the life of the process (`configSchema`); call this again only for a
 * separate instance.
 */
export function buildConfigSchema(): z.ZodType<RunConfig, z.ZodTypeDef, unknown> {
  // One layer config; containers' nested lists are checked by this same schema.
  const layerSection: z.ZodTypeAny = z.lazy(() => registrySection({ kind: 'layer type', lookup: lookupLayer, names: layerTypes, fillDefaults: false, nestedLayer: () => layerSection }));
  const dataset = z
    .string()
    .default('mnist')
    .superRefine((name, ctx) => {
      // In a bundle that registered no dataset (the browser core), the name is
      // only a label: the page hands its data to buildSession.
      if (datasetRegistry.names().length > 0 && !datasetRegistry.has(name)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unknown dataset '${name}' (accepted: ${datasetRegistry.names().join(', ')})` });
      }
    });

  const schema = z
    .object({
      name: z
        .string()
        .superRefine((name, ctx) => {
          const problem = runNameProblem(name);
          if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `run name ${problem}` });
        })
        .default('run'),
      seed: z.number().int().min(0).default(42),
      backend: z.string().default('auto'),
      data: z
        .object({
          dataset,
          dir: z.string().nullable().default(null),
          frames: z.number().int().positive().nullable().default(null),
          cache: z.boolean().default(true),
          cache_dir: z.string().nullable().default(null),
          /**
           * `seed` is the dataset's own seed (not the run seed): like a
           * recorded dataset, the samples stay the same when the run seed
           * changes, and runs share the cache.
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
          drop_last: z.boolean().default(false),
          test_batch_size: z.number().int().positive().default(256),
          train_limit: z.number().int().positive().nullable().default(null),
          test_limit: z.number().int().positive().nullable().default(null),
          validation: z.number().int().min(0).default(0),
          augment: z
            .object({
              random_crop: z.object({ padding: z.number().int().positive() }).strict().nullable().default(null),
              horizontal_flip: z.boolean().default(false),
            })
            .strict()
            .default({}),
          normalize: z
            .object({ mean: z.array(z.number()).min(1), std: z.array(z.number().positive()).min(1) })
            .strict()
            .nullable()
            .default(null),
          options: z.record(z.unknown()).optional(),
        })
        .strict()
        .transform(datasetOptions)
        .default({}),
      encoder: registrySection({
        kind: 'encoder type',
        ...fromRegistry(encoderRegistry),
        defaultType: 'rate',
        fillDefaults: false,
        own: { steps: z.number().int().positive().default(25) },
      }).default({}),
      model: z
        .object({
          layers: z.array(layerSection).min(1),
          quantize: specSection(QUANTIZE_OPTIONS, 'model.quantize').optional(),
        })
        .strict(),
      train: z
        .object({
          epochs: z.number().int().min(0).default(1),
          loss: registrySection({ kind: 'loss', ...fromRegistry(lossRegistry), defaultType: 'ce_rate', fillDefaults: false }).default({}),
          optimizer: registrySection({
            kind: 'optimizer',
            ...fromRegistry(optimizerRegistry),
            defaultType: 'adam',
            fillDefaults: true,
            legacySiblings: () => optimizerRegistry.list(),
          }).default({}),
          scheduler: registrySection({
            kind: 'scheduler',
            ...fromRegistry(schedulerRegistry),
            defaultType: 'none',
            fillDefaults: true,
            legacySiblings: () => schedulerRegistry.list(),
          }).default({}),
          param_groups: z
            .array(
              z
                .object({
                  params: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
                  lr: z.number().positive(),
                  weight_decay: z.number().min(0).nullable().default(null),
                  scheduler: registrySection({ kind: 'scheduler', ...fromRegistry(schedulerRegistry), defaultType: 'none', fillDefaults: true }).nullable().default(null),
                })
                .strict(),
            )
            .default([]),
          clip_grad_norm: z.number().positive().nullable().default(null),
          check_finite_every: z.number().int().min(0).default(1),
          check_activations: z.boolean().default(false),
          method: z.enum(TRAIN_METHODS).optional(),
          tbptt: z.number().int().min(0).default(0),
          sltt_k: z.number().int().positive().nullable().default(null),
          online_update: z.enum(ONLINE_UPDATES).default('sequence'),
          timestep_schedule: z.array(z.number().int().positive()).min(1).nullable().default(null),
          stage_epochs: z.union([z.number().int().min(0), z.array(z.number().int().min(0)).min(1)]).nullable().default(null),
          bn_recalibration: z.number().int().min(0).default(0),
          distill: z
            .object({
              teacher: z.string().min(1),
              temperature: z.number().positive().default(4),
              alpha: z.number().min(0).max(1).default(0.5),
              features: distillFeatures.default([]),
            })
            .strict()
            .optional(),
        })
        .strict()
        .transform(resolveTrainMethod)
        .default({}),
      // Optional, with the defaults applied where the budgets are read (src/io/limits.ts): a config without it is written back without it.
      limits: z
        .object({
          data_bytes: z.number().int().positive().optional(),
          parameter_bytes: z.number().int().positive().optional(),
          activation_bytes: z.number().int().positive().optional(),
        })
        .strict()
        .optional(),
    })
    .strict();
  // The hand-written RunConfig is what the sections produce; zod cannot infer it through the registry-driven transforms.
  return schema as unknown as z.ZodType<RunConfig, z.ZodTypeDef, unknown>;
}

type TrainInput = Omit<TrainSection, 'method'> & { method?: TrainMethod | undefined };

/**
 * `train.method` and the keys that belong to one method, checked together:
 * a config without `method` is tbptt when it gives `tbptt` > 0 (configs
 * written before the key keep working) and bptt otherwise; a key of another
 * method than the one named is an error saying whose it is.
 */
function resolveTrainMethod(t: TrainInput, ctx: z.RefinementCtx): TrainSection {
  const method: TrainMethod = t.method ?? (t.tbptt > 0 ? 'tbptt' : 'bptt');
  const issue = (path: string, message: string): void => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
  const online = method === 'sltt' || method === 'sltt_k' || method === 'ottt';
  if (method === 'tbptt' && t.tbptt < 1) issue('tbptt', "train.method 'tbptt' needs the chunk length: train.tbptt: K (K ≥ 1 steps)");
  if (method !== 'tbptt' && t.tbptt > 0) {
    issue('tbptt', `a chunk length (${t.tbptt}) is the option of train.method 'tbptt', but the method is '${method}': remove train.tbptt, or write method: tbptt`);
  }
  if (method === 'sltt_k' && t.sltt_k === null) issue('sltt_k', "train.method 'sltt_k' needs K: train.sltt_k: K (steps backpropagated per batch, 1 ≤ K ≤ T)");
  if (method !== 'sltt_k' && t.sltt_k !== null) issue('sltt_k', `K is the option of train.method 'sltt_k', but the method is '${method}'`);
  if (!online && t.online_update !== 'sequence') issue('online_update', `'${t.online_update}' updates are an option of the online methods (sltt, sltt_k, ottt), not of '${method}'`);
  if (online && t.distill) issue('distill', `distillation is not supported with train.method '${method}' (its terms compare whole sequences); use bptt or tbptt`);
  if (t.timestep_schedule !== null && t.distill) issue('distill', 'distillation is not supported with train.timestep_schedule (the teacher runs at one T)');
  if (t.stage_epochs !== null) {
    if (t.timestep_schedule === null) issue('stage_epochs', 'stage epochs need train.timestep_schedule (the stages)');
    else if (Array.isArray(t.stage_epochs) && t.stage_epochs.length !== t.timestep_schedule.length) {
      issue('stage_epochs', `${t.stage_epochs.length} stage epochs for ${t.timestep_schedule.length} stages of train.timestep_schedule [${t.timestep_schedule.join(', ')}]: give one number for all stages or one per stage`);
    }
  }
  const { method: _m, ...rest } = t;
  return { ...rest, method };
}

/** A module path: a string, or a top-level layer's index written as a number (`student: 3`). */
const modulePath = z.union([z.string().min(1), z.number().int().nonnegative().transform(String)]);
const featurePairs = z.array(z.object({ student: modulePath, teacher: modulePath, weight: z.number().positive().default(1) }).strict());

/**
 * `train.distill.features`: 'blocks' or a list of pairs. Not a zod union, whose
 * error would say only "invalid input": a list is checked as a list, so an
 * unknown key in a pair is named with its path.
 */
const distillFeatures = z.unknown().transform((v, ctx): DistillSection['features'] => {
  if (v === 'blocks') return 'blocks';
  if (typeof v === 'string') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected 'blocks' or a list of { student, teacher, weight } pairs, got '${v}'` });
    return z.NEVER;
  }
  const r = featurePairs.safeParse(v);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue(issue as z.IssueData);
    return z.NEVER;
  }
  return r.data;
});

/** The run config schema (names and option shapes from the registries, looked up at parse time). */
export const configSchema: z.ZodType<RunConfig, z.ZodTypeDef, unknown> = buildConfigSchema();
