import type { BuildContext } from '../provider';

/** One line for the CLI's output: `Stripe payment_intent.succeeded evt_… — <how it was signed>`. */
export function describeRequest(provider: string, eventType: string | undefined, eventId: string | undefined, signing: string): string {
  return [provider, eventType, eventId].filter((part) => part !== undefined && part !== '').join(' ') + ` — ${signing}`;
}

/** How far the signing time is from the clock, when a stale (or future) request was asked for. */
export function offsetNote(context: Pick<BuildContext, 'at' | 'nowMs'>): string {
  const offset = Math.round((context.at.ms - context.nowMs) / 1000);
  return offset === 0 ? '' : ` (timestamp ${offset > 0 ? '+' : ''}${offset} s from now)`;
}

/** A URL for the output without its query, which may carry a token: the origin and path, and `?…` when there was a query. */
export function shownUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
}
