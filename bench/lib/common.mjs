// Shared helpers for the benchmarks: paths, statistics, formatting, machine description, results.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Scratch space for compiled bench code and results (git-ignored). */
export const WORK = join(ROOT, '.bench');
export const RESULTS = join(WORK, 'results');

/** `--quick` (fewer repetitions, for development) and `--rounds=N`. */
export function options(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const rounds = Number(argv.find((a) => a.startsWith('--rounds='))?.split('=')[1]) || undefined;
  return { quick, rounds };
}

export function median(values) {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile of a sample (q in [0, 1]). */
export function quantile(values, q) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** Nearest-rank percentile, as latency tools report it (p99 of 100 samples is the 99th value). */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Spread of repeated measurements: the interquartile range as a share of the median. */
export function spread(values) {
  const m = median(values);
  return m === 0 ? 0 : (quantile(values, 0.75) - quantile(values, 0.25)) / m;
}

export const fmt = {
  ratio: (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a'),
  pct: (x) => `±${(x * 100).toFixed(0)}%`,
  ms: (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)),
  us: (x) => (x >= 1000 ? x.toFixed(0) : x >= 100 ? x.toFixed(1) : x.toFixed(2)),
  bytes: (n) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`),
  size: (n) => (n >= 1024 * 1024 ? `${n / 1024 / 1024} MiB` : `${n / 1024} KiB`),
};

/** A Markdown table from a header row and rows of cells. */
export function table(header, rows, align) {
  const sep = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** What the numbers were measured on. */
export function machine() {
  const cpuinfo = safe(() => readFileSync('/proc/cpuinfo', 'utf8'), '');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const nproc = safe(() => execFileSync('nproc', { encoding: 'utf8' }).trim(), String(cpus().length));
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(safe(() => readFileSync('/proc/meminfo', 'utf8'), ''))?.[1]);
  const memory = Number.isFinite(memKb) ? `${(memKb / 1024 / 1024).toFixed(1)} GiB` : `${(totalmem() / 2 ** 30).toFixed(1)} GiB`;
  const load = safe(() => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '), 'n/a');
  return { nproc, model, memory, node: process.version, platform: `${process.platform} ${process.arch}`, date: new Date().toISOString(), load };
}

function safe(fn, fallback) {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/**
 * Writes one benchmark's result for bench/run.mjs: its Markdown section, the headline figures and
 * the targets with whether each was met.
 */
export function writeResult(id, result) {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${id}.json`), JSON.stringify({ id, ...result, machine: machine() }, null, 2));
}

/** Prints progress to stderr so stdout stays clean when a suite is piped. */
export function progress(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * Runs a command to completion and returns its wall time and CPU time (user + system, all its
 * threads), both in ms, as bash's `time` reports them for that process alone. CPU time does not grow
 * while another process holds the core, so it is the steadier figure on a shared machine.
 */
export function timeProcess(command, args, { cwd = ROOT, env = process.env } = {}) {
  const script = 'TIMEFORMAT="%3R %3U %3S"; { time "$@" >/dev/null 2>/dev/null; } 2>&1; exit ${PIPESTATUS[0]}';
  const r = spawnSync('bash', ['-c', script, 'bench', command, ...args], { cwd, env, encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const [real, user, sys] = line.split(' ').map(Number);
  if (r.status !== 0 || !Number.isFinite(real)) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return { wallMs: real * 1000, cpuMs: (user + sys) * 1000 };
}
