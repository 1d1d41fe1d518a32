import type { ProcessorRoute } from '../shared/contract';
import { readString } from './payload';
import type { VerifiedEvent } from './schemes/types';

/** The processors subscribed to an event type. An untyped event reaches only processors that take every event. */
export function matchProcessors(routes: readonly ProcessorRoute[], eventType: string | undefined): ProcessorRoute[] {
  return routes.filter((route) => route.eventTypes.length === 0
    || (eventType !== undefined && route.eventTypes.some((pattern) => globMatches(pattern, eventType))));
}

/** `*` matches any run of characters (including none); everything else matches itself. */
export function globMatches(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  if (!value.startsWith(parts[0]) || !value.endsWith(parts[parts.length - 1])) return false;
  let at = parts[0].length;
  const end = value.length - parts[parts.length - 1].length;
  for (const part of parts.slice(1, -1)) {
    const found = value.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return at <= end;
}

/**
 * The FIFO message group: the configured JSON path, else the provider's default (customer,
 * repository, …), else the event ID — which gives up ordering for full parallelism.
 */
export function messageGroup(event: VerifiedEvent, groupKeyPath: string | undefined): string {
  return (groupKeyPath ? readString(event.payload, groupKeyPath) : undefined) ?? event.groupKey ?? event.id;
}
