// Calibration: fit the harness model's three parameters to B5's measured figures at concurrency 1
// and 32, then predict concurrency 8 (not used in the fit) and every p99 (not used either). The fit
// is judged by relative error against what B5 measured on this machine.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { B5_PROTOCOL, simulateHarnessLevel } from './harness-model.mjs';

/**
 * B5's figures from the last BENCHMARKS.md before this model existed (2026-11-28, 2 cores), used
 * only when no `.bench/results/b5.json` is there — a fresh clone that runs `--only=b6`.
 */
export const B5_LAST_PUBLISHED = {
  source: 'BENCHMARKS.md, B5 as published on 2026-11-28 (no .bench/results/b5.json in this run)',
  levels: [
    { concurrency: 1, acceptedPerS: 18.2, p50: 55.2, p99: 74.2, processedPerS: 15.1 },
    { concurrency: 8, acceptedPerS: 43.4, p50: 173, p99: 239, processedPerS: 23.5 },
    { concurrency: 32, acceptedPerS: 63.5, p50: 461, p99: 689, processedPerS: 24.7 },
  ],
};

/** The figures fitted to, per level; everything else is predicted. */
const FIT_LEVELS = [1, 32];
const FIT_FIGURES = ['acceptedPerS', 'p50', 'processedPerS'];
export const FIGURES = [
  { key: 'acceptedPerS', label: 'accepted events/s' },
  { key: 'p50', label: 'p50 ms' },
  { key: 'p99', label: 'p99 ms' },
  { key: 'processedPerS', label: 'processed events/s' },
];

export function loadMeasured(resultsDir) {
  const file = join(resultsDir, 'b5.json');
  if (!existsSync(file)) return B5_LAST_PUBLISHED;
  const b5 = JSON.parse(readFileSync(file, 'utf8'));
  return {
    source: `.bench/results/b5.json (B5 run of ${b5.machine?.date ?? 'unknown date'})`,
    levels: b5.results.map((r) => ({ concurrency: r.concurrency, acceptedPerS: r.acceptedPerS, p50: r.p50, p99: r.p99, processedPerS: r.processedPerS })),
  };
}

/** Fits the model and returns the parameters, the comparison rows and the error summary. */
export function calibrate(measured, { seed = 5 } = {}) {
  const byLevel = new Map(measured.levels.map((l) => [l.concurrency, l]));
  const objective = (logParams) => {
    const params = toParams(logParams);
    let sum = 0;
    for (const c of FIT_LEVELS) {
      const predicted = simulateHarnessLevel(params, c, { seed });
      for (const key of FIT_FIGURES) sum += Math.log(predicted[key] / byLevel.get(c)[key]) ** 2;
    }
    return sum;
  };
  // A start from the measured floor: one request at c=1 is one handler visit and four calls.
  const floor = byLevel.get(1).p50;
  const start = [Math.log(floor / 16), Math.log(floor / 32), Math.log(floor / 4)];
  const best = nelderMead(objective, start, { iterations: 160, step: 0.5 });
  const params = toParams(best.point);
  const rows = [];
  for (const level of measured.levels) {
    const predicted = simulateHarnessLevel(params, level.concurrency, { seed });
    for (const { key, label } of FIGURES) {
      rows.push({
        concurrency: level.concurrency, figure: label, key,
        measured: level[key], predicted: predicted[key],
        error: predicted[key] / level[key] - 1,
        fitted: FIT_LEVELS.includes(level.concurrency) && FIT_FIGURES.includes(key),
      });
    }
    rows.push({ concurrency: level.concurrency, figure: 'utilisation', key: 'utilisation', moto: predicted.motoUtilisation, node: predicted.nodeUtilisation, emptyReceives: predicted.emptyReceiveShare });
  }
  const curve = CURVE_LEVELS.map((c) => simulateHarnessLevel(params, c, { seed, protocol: { ...B5_PROTOCOL, perTrial: { ...B5_PROTOCOL.perTrial, [c]: B5_PROTOCOL.perTrial[c] ?? perTrialBetween(c) } } }));
  const errors = rows.filter((r) => r.error !== undefined);
  const worst = (list) => list.reduce((m, r) => Math.max(m, Math.abs(r.error)), 0);
  return {
    params,
    rows,
    curve,
    source: measured.source,
    fitLevels: FIT_LEVELS,
    fitFigures: FIT_FIGURES,
    maxFittedError: worst(errors.filter((r) => r.fitted)),
    maxPredictedError: worst(errors.filter((r) => !r.fitted)),
    maxPredictedMeanError: worst(errors.filter((r) => !r.fitted && r.key !== 'p99')),
    evaluations: best.evaluations,
  };
}

/** The model's curve between and beyond B5's levels, for the chart. */
const CURVE_LEVELS = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64];

/** B5 sends 20, 48 and 96 requests per trial at 1, 8 and 32: 6 per concurrent request, within 20–96. */
function perTrialBetween(concurrency) {
  return Math.max(20, Math.min(96, 6 * concurrency));
}

function toParams([motoCallMs, nodeCallMs, nodeHandlerMs]) {
  return { motoCallMs: Math.exp(motoCallMs), nodeCallMs: Math.exp(nodeCallMs), nodeHandlerMs: Math.exp(nodeHandlerMs) };
}

/**
 * Nelder–Mead simplex minimisation: derivative-free, which suits an objective computed by a
 * simulation (piecewise, a little noisy even with fixed seeds). A few dozen lines, so no library.
 */
export function nelderMead(f, start, { iterations = 200, step = 0.5, tolerance = 1e-6 } = {}) {
  const n = start.length;
  let evaluations = 0;
  const evaluate = (point) => {
    evaluations++;
    return { point, value: f(point) };
  };
  let simplex = [evaluate(start), ...start.map((_, i) => evaluate(start.map((x, j) => (i === j ? x + step : x))))];
  for (let it = 0; it < iterations; it++) {
    simplex.sort((a, b) => a.value - b.value);
    if (simplex[n].value - simplex[0].value < tolerance) break;
    const centroid = start.map((_, j) => simplex.slice(0, n).reduce((sum, v) => sum + v.point[j], 0) / n);
    const towards = (t) => centroid.map((c, j) => c + t * (simplex[n].point[j] - c));
    const reflected = evaluate(towards(-1));
    if (reflected.value < simplex[0].value) {
      const expanded = evaluate(towards(-2));
      simplex[n] = expanded.value < reflected.value ? expanded : reflected;
    } else if (reflected.value < simplex[n - 1].value) {
      simplex[n] = reflected;
    } else {
      const contracted = evaluate(towards(reflected.value < simplex[n].value ? -0.5 : 0.5));
      if (contracted.value < Math.min(reflected.value, simplex[n].value)) {
        simplex[n] = contracted;
      } else {
        // Shrink everything towards the best point.
        simplex = [simplex[0], ...simplex.slice(1).map((v) => evaluate(v.point.map((x, j) => simplex[0].point[j] + 0.5 * (x - simplex[0].point[j]))))];
      }
    }
  }
  simplex.sort((a, b) => a.value - b.value);
  return { ...simplex[0], evaluations };
}

/**
 * The fitted model's errors at the held-out level under other seeds: how much of the error is the
 * model's own sampling noise (B5's trials are short, so is the model's replay of them).
 */
export function seedSpread(calibration, measured, { seeds = [6, 7, 8, 9, 10], concurrency = 8 } = {}) {
  const level = measured.levels.find((l) => l.concurrency === concurrency);
  if (!level) return undefined;
  const errors = Object.fromEntries(FIGURES.map(({ key }) => [key, []]));
  for (const seed of seeds) {
    const predicted = simulateHarnessLevel(calibration.params, concurrency, { seed });
    for (const { key } of FIGURES) errors[key].push(predicted[key] / level[key] - 1);
  }
  return { concurrency, seeds, errors };
}
