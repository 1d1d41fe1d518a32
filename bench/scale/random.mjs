// Seeded randomness for the scale model: every run with the same seed makes the same choices, so a
// prediction in BENCHMARKS.md or SCALING.md changes only when the model or its inputs change.

/**
 * A small, fast 32-bit generator (mulberry32). Statistical quality is ample for a queueing model;
 * Math.random is not used because it cannot be seeded.
 */
export function createRandom(seed = 1) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    /** Exponential with the given mean. 1 - u keeps log() away from 0. */
    exponential: (mean) => -mean * Math.log(1 - next()),
    /** Log-normal given its median and the sigma of its logarithm (service times with a long tail). */
    lognormal: (median, sigma) => median * Math.exp(sigma * standardNormal(next)),
    chance: (p) => next() < p,
    integer: (n) => Math.floor(next() * n),
    /** An independent stream, so that adding draws in one component does not shift another's. */
    fork: (salt) => createRandom((seed * 2654435761 + hashString(String(salt))) >>> 0),
  };
}

function standardNormal(next) {
  // Box–Muller; one of the pair is dropped to keep the stream position simple to reason about.
  const u = 1 - next();
  const v = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** FNV-1a: a stable string hash (partition placement, stream salts). */
export function hashString(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Draws ranks 1..n with P(k) ∝ k^-s (Zipf): a few customers send most events. The cumulative
 * distribution is tabulated once, then each draw is a binary search.
 */
export function zipfSampler(n, s, random) {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 1; k <= n; k++) {
    total += k ** -s;
    cumulative[k - 1] = total;
  }
  const draw = () => {
    const target = random.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  return { draw, share: (k) => (k ** -s) / total };
}
