/** The moment a provider signs and timestamps the event, in the units providers use. */
export interface SigningTime {
  readonly ms: number;
  /** Whole Unix seconds, as every seconds-based signature header writes them. */
  readonly seconds: number;
  readonly iso: string;
}

export function signingTime(nowMs: number, offsetSeconds = 0): SigningTime {
  const ms = Math.floor(nowMs + offsetSeconds * 1000);
  return { ms, seconds: Math.floor(ms / 1000), iso: new Date(ms).toISOString() };
}

/** Some payloads date a related object a little before the event (a payment created before it succeeded). */
export function isoBefore(at: SigningTime, seconds: number): string {
  return new Date(at.ms - seconds * 1000).toISOString();
}
