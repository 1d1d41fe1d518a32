// Lambda concurrency: one account-wide pool of concurrent executions shared by every function, and
// per function a scaling rate (new execution environments per 10 s) and a set of warm environments.
import { TokenBucket } from './token-bucket.mjs';

export class LambdaAccount {
  constructor({ concurrency }) {
    this.limit = concurrency;
    this.inUse = 0;
    this.peak = 0;
  }
}

export class LambdaFunction {
  #idle = 0;

  constructor(sim, random, { name, account, newEnvironmentsPer10s, coldStartMs, reservedConcurrency = Infinity }) {
    this.sim = sim;
    this.random = random;
    this.name = name;
    this.account = account;
    this.coldStartMs = coldStartMs;
    this.reserved = reservedConcurrency;
    // Lambda refills its scaling rate continuously (its docs say so) rather than 1,000 at each 10 s mark.
    this.scaling = new TokenBucket({ ratePerS: newEnvironmentsPer10s / 10, burst: newEnvironmentsPer10s });
    this.busy = 0;
    this.environments = 0;
    this.peak = 0;
    this.throttles = 0;
    this.coldStarts = 0;
  }

  /** An execution environment for one invocation: `{ coldStartMs }`, or null when throttled. */
  acquire() {
    if (this.account.inUse >= this.account.limit || this.busy >= this.reserved) return this.#throttle();
    let coldStartMs = 0;
    if (this.#idle > 0) {
      this.#idle--;
    } else if (this.scaling.take(this.sim.now)) {
      this.environments++;
      this.coldStarts++;
      this.lastColdStartMs = this.sim.now;
      coldStartMs = this.random.lognormal(this.coldStartMs.median, this.coldStartMs.sigma);
    } else {
      return this.#throttle();
    }
    this.busy++;
    this.account.inUse++;
    this.peak = Math.max(this.peak, this.busy);
    this.account.peak = Math.max(this.account.peak, this.account.inUse);
    return { coldStartMs };
  }

  release() {
    this.busy--;
    this.account.inUse--;
    this.#idle++;
  }

  #throttle() {
    this.throttles++;
    return null;
  }
}
