import { Command, CommanderError } from 'commander';
import { ConfigError, SpikeflowError } from '../errors.js';
import { runTrain } from './commands/train-node.js';
import { runEval } from './commands/eval-node.js';
import { runLmGenerate } from './commands/lm-node.js';
import { DEFAULT_MAX_ACCURACY_LOSS } from './early-exit-node.js';
import { runInfo } from './commands/info-node.js';
import { runQuantize } from './commands/quantize-node.js';
import { registerNirCommands } from './commands/nir-node.js';
import { registerEventsCommands } from './commands/events-node.js';
import { runBench } from './commands/bench-node.js';
import { registerPlotCommand } from './commands/plot-node.js';
import { registerServeCommand } from './commands/serve-node.js';
import { registerSweepCommands } from './commands/sweep-node.js';
import { registerWorkerCommand } from './commands/worker-node.js';
import { registerNativeBackend } from '../backend/native/load-node.js';
import { packageVersion } from './commands/info-node.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Entry of the `spikeflow` command. Returns the exit code: 0 success, 2 bad
 * input (config, data, files: one line naming what and where), 1 anything else.
 */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  // Before any backend is chosen: `auto` then prefers the addon when it loads.
  registerNativeBackend();
  const program = new Command();
  program
    .name('spikeflow')
    .description('Spiking neural networks in TypeScript: train, evaluate and inspect SNNs')
    .option('--debug', 'show stack traces on errors')
    .version(packageVersion(), '-V, --version', 'print the spikeflow version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('train')
    .description('train a network from a YAML config (default: examples/mnist-lif.yaml on the embedded MNIST digits)')
    .option('-c, --config <file>', 'YAML config file')
    .option('-s, --set <key=value>', 'override a config key (repeatable), e.g. --set train.epochs=3', collect, [])
    .option('-o, --out <dir>', 'run folder to write (default: runs/<name>-<timestamp>)')
    .option('-b, --backend <name>', 'backend: auto, ts, ...')
    .option('--seed <n>', 'random seed (overrides the config)')
    .option('--data-dir <dir>', 'dataset directory (overrides data.dir)')
    .option('--resume <checkpoint>', 'continue from a checkpoint.safetensors written by an earlier run')
    .option('-w, --weights <file>', 'start a new run from these weights (model.safetensors, e.g. from `nir import`); its embedded config unless --config')
    .option('--allow-non-finite', 'load a --weights file holding NaN or infinite values (refused by default, naming the file and the tensor; a --resume checkpoint must be finite)')
    .option('--json', 'print the final summary as JSON on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(async (opts) => {
      await runTrain(opts);
    });

  program
    .command('eval')
    .description('evaluate a trained run (its folder) or a config + weights on the test set; --early-exit stops each sample once it is confident (docs/early-exit.md)')
    .argument('[run-dir]', 'run folder written by `spikeflow train` (same as --run)')
    .option('-r, --run <dir>', 'run folder written by `spikeflow train`')
    .option('-c, --config <file>', 'YAML config (with --weights)')
    .option('-w, --weights <file>', 'model.safetensors, model.int.safetensors or checkpoint.safetensors')
    .option('--int', "with --run: evaluate the run's integer weights (model.int.safetensors)")
    .option('--split <name>', "the split scored: test (default) or validation (the samples held out of training by data.validation; for choices between runs)")
    .option('--allow-non-finite', 'load weights holding NaN or infinite values (refused by default, naming the file and the tensor)')
    .option('-s, --set <key=value>', 'override a config key (repeatable)', collect, [])
    .option('-b, --backend <name>', 'backend: auto, ts, ...')
    .option('--data-dir <dir>', 'dataset directory (overrides data.dir)')
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'no progress output')
    .option('--early-exit', 'also run early-exit inference: each sample stops at the first step whose confidence reaches the threshold (docs/early-exit.md)')
    .option('--confidence <c>', 'with --early-exit: the threshold (maxprob in [1/C, 1], margin in [0, 1], entropy in [-ln C, 0] for C classes)')
    .option('--max-accuracy-loss <points>', `with --early-exit: choose the threshold on the validation split (data.validation) for at most this many percentage points below full T (default ${DEFAULT_MAX_ACCURACY_LOSS})`)
    .option('--rule <name>', 'with --early-exit: confidence rule maxprob (default), margin or entropy')
    .option('--front <dir>', 'with --early-exit: write the accuracy-latency Pareto front over thresholds and the oracle front (JSON, CSV, SVG) into this folder')
    .action(async (runDir: string | undefined, opts) => {
      if (runDir !== undefined) {
        if (opts.run !== undefined && opts.run !== runDir) throw new ConfigError(`eval: two run folders given, '${runDir}' and --run '${opts.run}'`);
        opts.run = runDir;
      }
      await runEval(opts);
    });

  program
    .command('generate')
    .description('continue a prompt with a trained language model (a `task: language_model` run, docs/spikegpt.md), printing tokens as they are drawn')
    .requiredOption('-r, --run <dir>', 'language-model run folder written by `spikeflow train`')
    .option('-p, --prompt <text>', 'the text to continue (every character must be in the model\'s vocabulary)', '\n')
    .option('-n, --tokens <n>', 'tokens to generate', '200')
    .option('-t, --temperature <t>', 'softmax temperature (0: always the most likely token)', '1')
    .option('--top-p <p>', 'nucleus sampling: draw from the most likely tokens covering probability p', '0.9')
    .option('--seed <n>', 'random seed of the sampler', '0')
    .option('-b, --backend <name>', 'backend: auto, ts, native, wasm')
    .action((opts) => {
      const num = (flag: string, v: string): number => {
        const x = Number(v);
        if (v.trim() === '' || !Number.isFinite(x)) throw new ConfigError(`${flag}: expected a number, got '${v}'`);
        return x;
      };
      const seed = num('--seed', opts.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`--seed: expected a non-negative integer, got '${opts.seed}'`);
      runLmGenerate({
        run: opts.run,
        prompt: opts.prompt,
        tokens: num('--tokens', opts.tokens),
        temperature: num('--temperature', opts.temperature),
        topP: num('--top-p', opts.topP),
        seed,
        ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
      });
    });

  program
    .command('quantize')
    .description('post-training quantization of a trained float run: writes a quantized run folder and reports test accuracy before and after')
    .argument('<run-dir>', 'run folder written by `spikeflow train` (a float model)')
    .option('--bits <b>', 'weight bit width, 2 to 8')
    .option('-m, --method <name>', 'minmax, percentile or mse (output error measured on training samples)', 'mse')
    .option('--percentile <p>', 'with --method percentile: clip each channel at this percentile of |w| (default 99.9)')
    .option('--calibration <n>', 'with --method mse: training samples to measure on (default 512)')
    .option('--per-tensor', 'one step per layer instead of one per output channel')
    .option('--no-skip-first', 'quantize the first weighted layer too')
    .option('--no-skip-last', 'quantize the last weighted layer (the classifier) too')
    .option('--first-last-bits <b>', 'quantize the layers skip-first / skip-last leave out at this width instead of keeping them float32')
    .option('--exclude <paths>', 'comma-separated layer paths to keep in float32')
    .option('-o, --out <dir>', 'folder to write (default: RUN_DIR/quantized-<method>-int<bits>)')
    .option('-s, --set <key=value>', 'override a key of the run config (repeatable), e.g. --set data.test_limit=500', collect, [])
    .option('-b, --backend <name>', 'backend: auto, ts, ...')
    .option('--json', 'print the summary as JSON on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(async (runDir: string, opts) => {
      await runQuantize(runDir, opts);
    });

  program
    .command('info')
    .description('show backends, the active one and versions')
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      await runInfo(opts);
    });

  program
    .command('bench')
    .description('run the benchmark suite (same as `npm run bench`; options: --json, --backend, --workload a,b, --quick, --no-torch; -h for all)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]')
    .action(async (args: string[]) => {
      const code = await runBench(args);
      if (code !== 0) throw new CommanderError(code, 'spikeflow.bench', '');
    });

  registerNirCommands(program);
  registerEventsCommands(program);
  registerPlotCommand(program);
  registerServeCommand(program);
  registerSweepCommands(program);
  registerWorkerCommand(program);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // A sweep that ran reports its own outcome (1: cells failed, 130: interrupted).
      if (e.code === 'spikeflow.sweep') return e.exitCode;
      // help and version exit 0; usage errors were already printed by commander
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof SpikeflowError) {
      process.stderr.write(`spikeflow: error: ${e.message}\n`);
      if (debug) process.stderr.write(`${e.stack}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`spikeflow: internal error: ${err?.message ?? String(e)}${debug ? '' : ' (run with --debug for the stack)'}\n`);
    if (debug) process.stderr.write(`${err?.stack}\n`);
    return 1;
  }
}
