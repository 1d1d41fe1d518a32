// Interleaved micro-benchmark runner: every candidate runs once per round, in a rotating order,
// so that machine noise (two shared cores) lands on all candidates alike; the figure is the median
// of the per-round means. Each batch is timed twice: wall clock, and the process's CPU time
// (user + system, all threads), which does not grow while another process holds the core.
import { median, spread } from './common.mjs';

const now = () => Number(process.hrtime.bigint()) / 1e6;
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const collect = typeof globalThis.gc === 'function' ? globalThis.gc : () => undefined;

/**
 * candidates: [{ name, fn, async? }]; `fn` returns a truthy value on success (checked once before
 * timing, so that a candidate that silently fails cannot look fast).
 * Returns { [name]: { medianUs, spread, samplesUs, wallMedianUs, wallSpread, iterations } }, where
 * the headline `medianUs` is CPU time per operation when `clock` is 'cpu' (the default), else wall.
 * `samplesUs` (and `wallSamplesUs`, `cpuSamplesUs`) are in round order, so that samples of two
 * candidates with the same index ran in the same round, close together in time (for paired statistics).
 *
 * `gc`: when to force a full GC (needs --expose-gc): 'batch' before every batch (the default),
 * 'round' once at the start of every round, the same for all candidates, or 'none'.
 * `warmupRounds`: untimed interleaved rounds run after the per-candidate warm-up, so that every
 * candidate is timed in the steady state the interleaving itself produces (shared inline caches, heap).
 */
export async function interleave(candidates, { rounds = 7, batchMs = 60, warmupMs = 150, warmupRounds = 0, clock = 'cpu', gc = 'batch' } = {}) {
  for (const c of candidates) {
    const result = c.async ? await c.fn() : c.fn();
    if (!result) throw new Error(`benchmark candidate "${c.name}" did not succeed on its input`);
  }
  // Warm up (JIT) and calibrate: iterations per batch so that one batch takes about batchMs.
  const iterations = new Map();
  for (const c of candidates) {
    let n = 1;
    let elapsed = 0;
    const deadline = now() + warmupMs;
    while (now() < deadline || elapsed === 0) {
      elapsed = (await runBatch(c, n)).wall;
      if (elapsed < batchMs / 4) n *= 2;
    }
    iterations.set(c.name, Math.max(1, Math.round((n * batchMs) / Math.max(elapsed, 1e-3))));
  }
  for (let r = 0; r < warmupRounds; r++) {
    if (gc === 'round') collect();
    for (const c of candidates) {
      if (gc === 'batch') collect();
      await runBatch(c, iterations.get(c.name));
    }
  }
  const samples = new Map(candidates.map((c) => [c.name, { wall: [], cpu: [] }]));
  for (let r = 0; r < rounds; r++) {
    const order = candidates.map((_, i) => candidates[(i + r) % candidates.length]);
    if (gc === 'round') collect();
    for (const c of order) {
      if (gc === 'batch') collect();
      const n = iterations.get(c.name);
      const { wall, cpu } = await runBatch(c, n);
      samples.get(c.name).wall.push((wall * 1000) / n);
      samples.get(c.name).cpu.push((cpu * 1000) / n);
    }
  }
  const out = {};
  for (const c of candidates) {
    const { wall, cpu } = samples.get(c.name);
    const main = clock === 'cpu' ? cpu : wall;
    out[c.name] = { medianUs: median(main), spread: spread(main), samplesUs: main, wallSamplesUs: wall, cpuSamplesUs: cpu, wallMedianUs: median(wall), wallSpread: spread(wall), cpuMedianUs: median(cpu), iterations: iterations.get(c.name) };
  }
  return out;
}

async function runBatch(candidate, n) {
  const { fn } = candidate;
  let ok = 0;
  const startCpu = cpuMs();
  const start = now();
  if (candidate.async) {
    for (let i = 0; i < n; i++) if (await fn()) ok++;
  } else {
    for (let i = 0; i < n; i++) if (fn()) ok++;
  }
  const wall = now() - start;
  const cpu = cpuMs() - startCpu;
  if (ok !== n) throw new Error(`benchmark candidate "${candidate.name}" failed ${n - ok} of ${n} runs`);
  return { wall, cpu };
}

