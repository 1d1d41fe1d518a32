import type { Duration } from 'aws-cdk-lib';

/** The endpoint's archive of verified events (`HardenedWebhookEndpointProps.archive`). */
export interface ArchiveOptions {
  /**
   * How long each archived event is kept, in whole days (1–3650): its record and its time-index
   * entry expire this long after the event was first received.
   *
   * The markers `hardened-webhooks replay` leaves (`archive/replays/`, so that the same replay ID
   * does nothing a second time) expire this long after the replay, never before the event. Erasure
   * by event ID removes all of them sooner (`hardened-webhooks archive erase`); erasure audit
   * entries are kept.
   */
  readonly retention: Duration;
}
