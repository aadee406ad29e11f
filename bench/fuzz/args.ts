import { parseArgs as parseNodeArgs } from 'node:util';

export const FUZZ_USAGE = `usage: npm run fuzz -- [options]   (node dist/bench/fuzz.js [options])

  --cases N          seeded cases per parser (default 5000)
  --seed S           the seed every case derives from (default 1); case i of parser P
                       under seed S is the same input on every run and machine
  --parser A,B,...   parsers to fuzz (default all; --list names them)
  --timeout-ms MS    per-case time limit; past it the case is a hang (default 2000)
  --mem-mb MB        per-child resident-set cap; past it the case is over budget (default 512)
  --jobs N           child processes running cases at once (default 2)
  --out DIR          where failing inputs and cases.txt go (default fuzz-out)
  --replay FILE      run one saved input through --parser NAME and print what happened
  --json FILE        also write the table and failure kinds as JSON
  --list             list the parsers and their entry points
  -h, --help         this text

Exit status: 0 when no case failed, 1 when any was an internal error, crash,
hang or over budget, 2 on bad options.`;

export interface FuzzArgs {
  cases: number;
  seed: number;
  parsers: string[] | null;
  timeoutMs: number;
  memMb: number;
  jobs: number;
  out: string;
  replay: string | null;
  json: string | null;
  list: boolean;
  help: boolean;
}

export class FuzzArgError extends Error {}

function positiveInt(v: string | undefined, flag: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new FuzzArgError(`${flag} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

export function parseFuzzArgs(argv: readonly string[]): FuzzArgs {
  const parse = () =>
    parseNodeArgs({
      args: [...argv],
      options: {
        cases: { type: 'string' },
        seed: { type: 'string' },
        parser: { type: 'string', multiple: true },
        'timeout-ms': { type: 'string' },
        'mem-mb': { type: 'string' },
        jobs: { type: 'string' },
        out: { type: 'string' },
        replay: { type: 'string' },
        json: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse().values;
  } catch (e) {
    throw new FuzzArgError((e as Error).message);
  }
  const parsers = values.parser ? values.parser.flatMap((p) => p.split(',')).filter((p) => p !== '') : null;
  const a: FuzzArgs = {
    cases: positiveInt(values.cases, '--cases', 5000, 0),
    seed: positiveInt(values.seed, '--seed', 1, 0),
    parsers,
    timeoutMs: positiveInt(values['timeout-ms'], '--timeout-ms', 2000),
    memMb: positiveInt(values['mem-mb'], '--mem-mb', 512, 64),
    jobs: positiveInt(values.jobs, '--jobs', 2),
    out: values.out ?? 'fuzz-out',
    replay: values.replay ?? null,
    json: values.json ?? null,
    list: values.list ?? false,
    help: values.help ?? false,
  };
  if (a.replay !== null && (a.parsers === null || a.parsers.length !== 1)) throw new FuzzArgError('--replay needs exactly one --parser NAME');
  return a;
}
