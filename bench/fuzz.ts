/**
 * spikeflow fuzz suite (`npm run fuzz`): seeded mutations of valid files fed
 * to every parser that reads files a user may be handed, each case in a pool
 * of child processes with a time limit and a memory cap. Prints a table per
 * parser (ok, clean errors, internal errors, crashes, hangs, over budget) and
 * saves the first input of each distinct failure with its replay command.
 * Options: bench/fuzz/args.ts (--help). Design: docs/fuzz.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { FUZZ_USAGE, FuzzArgError, parseFuzzArgs, type FuzzArgs } from './fuzz/args.js';
import { FuzzPool } from './fuzz/pool.js';
import { isFailure } from './fuzz/protocol.js';
import { saveFailures, statsTable } from './fuzz/report.js';
import { buildSeeds, fuzzTarget, type ParserStats } from './fuzz/run.js';
import { findTarget, TARGETS } from './fuzz/targets/index.js';

async function replay(a: FuzzArgs): Promise<number> {
  const target = findTarget(a.parsers![0]!);
  const bytes = new Uint8Array(readFileSync(a.replay!));
  const pool = new FuzzPool({ jobs: 1, timeoutMs: a.timeoutMs, memMb: a.memMb });
  try {
    const r = await pool.run(target.name, bytes);
    process.stdout.write(`${target.name}: ${a.replay} (${bytes.length} bytes): ${r.outcome} in ${r.ms.toFixed(0)} ms, peak RSS ${(r.rssMb ?? 0).toFixed(0)} MB\n`);
    if (r.name || r.message) process.stdout.write(`  ${r.name ?? ''}${r.name ? ': ' : ''}${r.message ?? ''}\n`);
    if (r.outcome === 'internal' && r.stack) process.stdout.write(`${r.stack}\n`);
    return isFailure(r.outcome) ? 1 : 0;
  } finally {
    await pool.close();
  }
}

async function main(argv: string[]): Promise<number> {
  let a: FuzzArgs;
  try {
    a = parseFuzzArgs(argv);
    if (a.parsers) for (const p of a.parsers) findTarget(p);
  } catch (e) {
    process.stderr.write(`fuzz: ${(e as Error).message}\n${FUZZ_USAGE}\n`);
    return 2;
  }
  if (a.help) {
    process.stdout.write(FUZZ_USAGE + '\n');
    return 0;
  }
  if (a.list) {
    for (const t of TARGETS) process.stdout.write(`${t.name.padEnd(12)} ${t.entry}\n`);
    return 0;
  }
  if (a.replay) return replay(a);
  const targets = a.parsers ? a.parsers.map(findTarget) : TARGETS;
  const rows: ParserStats[] = [];
  const started = performance.now();
  let spawned = 0;
  process.stdout.write(`fuzz: ${targets.length} parsers × ${a.cases} cases, seed ${a.seed}, ${a.jobs} children, ${a.timeoutMs} ms / ${a.memMb} MB per case\n`);
  for (const t of targets) {
    // Fresh children per parser: peak RSS (a lifetime high-water mark) is then this parser's alone.
    const pool = new FuzzPool({ jobs: a.jobs, timeoutMs: a.timeoutMs, memMb: a.memMb });
    try {
      const seeds = await buildSeeds(t);
      const t0 = performance.now();
      const tty = process.stderr.isTTY;
      const stats = await fuzzTarget(pool, t, seeds, {
        cases: a.cases,
        seed: a.seed,
        jobs: a.jobs,
        onCase: tty ? (n) => n % 50 === 0 && process.stderr.write(`\r  ${t.name}: ${n}/${a.cases}`) : undefined,
      });
      if (tty) process.stderr.write('\r\x1b[K');
      rows.push(stats);
      const fails = stats.cases - stats.counts.ok - stats.counts.clean;
      process.stdout.write(`  ${t.name}: ${stats.cases} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${fails} failing, slowest case ${stats.slowest}\n`);
      for (const line of saveFailures(a.out, stats, a.seed)) process.stdout.write(`    ${line.replace(/\n/g, '\n    ')}\n`);
      if (stats.unnamedExample) process.stdout.write(`    ${stats.unnamed} clean errors do not name the file, e.g. case ${stats.unnamedExample.index}: ${stats.unnamedExample.message}\n`);
    } finally {
      await pool.close();
      spawned += pool.spawned;
    }
  }
  const wall = (performance.now() - started) / 1000;
  process.stdout.write(`\n${statsTable(rows)}\n\nwall time ${wall.toFixed(0)} s, ${spawned} child processes started\n`);
  if (a.json) {
    const failures = rows.flatMap((r) => r.failures.map((f) => ({ parser: r.parser, outcome: f.outcome, count: f.count, firstCase: f.index, name: f.name, message: f.message })));
    writeFileSync(a.json, JSON.stringify({ seed: a.seed, cases: a.cases, timeoutMs: a.timeoutMs, memMb: a.memMb, wallSeconds: wall, rows: rows.map(({ failures: _f, ...r }) => r), failures }, null, 2) + '\n');
  }
  return rows.some((r) => r.cases !== r.counts.ok + r.counts.clean) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof FuzzArgError) process.stderr.write(`fuzz: ${e.message}\n`);
    else process.stderr.write(`fuzz: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
