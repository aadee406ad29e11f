import { z } from 'zod';
import { camelToSnake, type OptionDef, type OptionSpec } from '../registry/options.js';

/*
 * Zod shapes generated from the registries' option specs, so the config
 * schema accepts exactly the options each registered layer, encoder, loss,
 * optimizer and scheduler declares (names, kinds, ranges, defaults) without
 * listing them a second time. Kept apart from src/registry/ so the browser
 * core never imports zod.
 */

function finiteNumber(d: { integer?: boolean; check?: (v: number) => boolean; want?: string }): z.ZodType<number> {
  const want = d.want ?? (d.integer ? 'an integer' : 'a finite number');
  return z.number().refine((v) => Number.isFinite(v) && (!d.integer || Number.isInteger(v)) && (!d.check || d.check(v)), { message: `must be ${want}` });
}

const SHAPES = {
  number: () => z.number(),
  string: () => z.string(),
  boolean: () => z.boolean(),
  numbers: () => z.array(z.number()),
  strings: () => z.array(z.string()),
  object: () => z.record(z.union([z.number(), z.string()])),
  // The shape only; src/config/schema.ts checks each layer config against its registry entry.
  layer: () => z.object({ type: z.string() }).passthrough(),
  layers: () => z.array(z.object({ type: z.string() }).passthrough()).nonempty(),
} as const;

/** The zod type of one option's value (not yet optional or defaulted). */
export function optionValueSchema(d: OptionDef): z.ZodTypeAny {
  switch (d.type) {
    case 'number':
      return finiteNumber(d);
    case 'numbers': {
      const n = finiteNumber(d);
      return z.union([n, z.array(n).nonempty()]);
    }
    case 'boolean':
      return z.boolean();
    case 'choice': {
      const accepted = [...d.values, ...Object.keys(d.aliases ?? {})];
      return z.string().refine((v) => accepted.includes(v), { message: `must be one of ${d.values.map((v) => `'${v}'`).join(', ')}` });
    }
    case 'string':
      return z.string();
    case 'custom': {
      const [first, ...rest] = d.accepts.map((a) => SHAPES[a]());
      if (!first) return z.unknown();
      return rest.length === 0 ? first : z.union([first, ...rest] as unknown as [z.ZodTypeAny, z.ZodTypeAny, ...z.ZodTypeAny[]]);
    }
  }
}

/**
 * A strict object for a spec, keyed as configs spell it (snake_case).
 * `fillDefaults`: options with a default take it when absent (sections whose
 * parsed config has always shown every value, such as train.optimizer);
 * otherwise absent options stay absent and the factory applies the default.
 * Required options are checked by the caller, which can name the entry.
 */
export function optionsObjectSchema(spec: OptionSpec, fillDefaults: boolean): z.AnyZodObject {
  const shape: Record<string, z.ZodTypeAny> = {};
  for (const [k, d] of Object.entries(spec)) {
    const v = optionValueSchema(d);
    const def = d.default;
    shape[camelToSnake(k)] = fillDefaults && def !== undefined ? v.default(def) : v.optional();
  }
  return z.object(shape).strict();
}
