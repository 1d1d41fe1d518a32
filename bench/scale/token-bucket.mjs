// Token bucket: the shape of every AWS rate limit in the model (API Gateway stage and account
// throttles, Lambda's scaling rate, DynamoDB partition and table write rates, SQS FIFO request rates).
// It refills continuously at `ratePerS` up to `burst` tokens and starts full.

export class TokenBucket {
  #tokens;
  #updatedMs;

  constructor({ ratePerS, burst, nowMs = 0 }) {
    if (!(ratePerS >= 0) || !(burst >= 0)) throw new Error(`invalid token bucket ${ratePerS}/s, burst ${burst}`);
    this.ratePerS = ratePerS;
    this.burst = burst;
    this.#tokens = burst;
    this.#updatedMs = nowMs;
  }

  tokensAt(nowMs) {
    this.#refill(nowMs);
    return this.#tokens;
  }

  /** Whether `n` tokens are there now, without taking them. */
  has(nowMs, n = 1) {
    // The small epsilon absorbs floating-point refill error, so rate × t tokens are really available at t.
    return this.tokensAt(nowMs) + 1e-9 >= n;
  }

  take(nowMs, n = 1) {
    if (!this.has(nowMs, n)) return false;
    this.#tokens = Math.max(0, this.#tokens - n);
    return true;
  }

  #refill(nowMs) {
    if (nowMs > this.#updatedMs) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((nowMs - this.#updatedMs) / 1000) * this.ratePerS);
      this.#updatedMs = nowMs;
    }
  }
}
