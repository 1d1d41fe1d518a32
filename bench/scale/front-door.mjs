// The front door: WAF's per-IP rate rule and API Gateway's two token buckets (the stage throttle,
// a prop of ours, and the account-level throttle every API in the Region shares).
import { TokenBucket } from './token-bucket.mjs';

/**
 * WAF's rate-based rule, as AWS describes it: it counts each IP's requests over the evaluation
 * window and, when it re-evaluates, blocks an IP over the limit until a later evaluation finds it
 * under. Evaluations happen every `checkIntervalMs` (AWS: "frequently"); between them the verdict
 * stands, which is why a burst gets through for a while before it is blocked.
 */
export class WafRateRule {
  #requests = new Map();
  #verdicts = new Map();

  constructor(sim, { rateLimit, windowMs, checkIntervalMs }) {
    this.sim = sim;
    this.rateLimit = rateLimit;
    this.windowMs = windowMs;
    this.checkIntervalMs = checkIntervalMs;
    this.blocked = 0;
  }

  /** Counts the request and says whether the IP may pass. */
  allows(ip) {
    const now = this.sim.now;
    const times = this.#requests.get(ip) ?? [];
    this.#requests.set(ip, times);
    const lastCheck = Math.floor(now / this.checkIntervalMs) * this.checkIntervalMs;
    const verdict = this.#verdicts.get(ip);
    if (!verdict || verdict.at < lastCheck) this.#verdicts.set(ip, { at: lastCheck, blocked: countInWindow(times, lastCheck - this.windowMs, lastCheck) > this.rateLimit });
    // Blocked requests count too: the rule sees every request from the address.
    times.push(now);
    if (this.#verdicts.get(ip).blocked) {
      this.blocked++;
      return false;
    }
    return true;
  }
}

/** Requests with from < time ≤ to, in a time-ordered array. */
function countInWindow(times, from, to) {
  return upperBound(times, to) - upperBound(times, from);
}

function upperBound(sorted, value) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class ApiGateway {
  constructor(sim, random, { stage, account, overheadMs, waf }) {
    this.sim = sim;
    this.random = random;
    this.stage = new TokenBucket({ ratePerS: stage.rateLimit, burst: stage.burstLimit });
    this.account = new TokenBucket({ ratePerS: account.ratePerS, burst: account.burst });
    this.overheadMs = overheadMs;
    this.waf = waf;
    this.counts = { requests: 0, stageThrottled: 0, accountThrottled: 0, wafBlocked: 0 };
  }

  /**
   * One request from `ip`. `integration(reply)` is the verifier; `respond(status, kind)` reaches the
   * sender after the gateway's own overhead (half on the way in, half on the way out).
   */
  request(ip, integration, respond) {
    this.counts.requests++;
    if (this.waf && !this.waf.allows(ip)) {
      this.counts.wafBlocked++;
      return this.#reply(respond, 429, 'waf');
    }
    const now = this.sim.now;
    // Both buckets must have a token; neither is charged for a request the other refuses.
    if (!this.account.has(now)) {
      this.counts.accountThrottled++;
      return this.#reply(respond, 429, 'account-throttle');
    }
    if (!this.stage.has(now)) {
      this.counts.stageThrottled++;
      return this.#reply(respond, 429, 'stage-throttle');
    }
    this.account.take(now);
    this.stage.take(now);
    const half = this.#overhead() / 2;
    this.sim.after(half, () => integration((status, kind) => this.sim.after(half, () => respond(status, kind))));
  }

  #reply(respond, status, kind) {
    this.sim.after(this.#overhead(), () => respond(status, kind));
  }

  #overhead() {
    return this.random.lognormal(this.overheadMs.median, this.overheadMs.sigma);
  }
}
