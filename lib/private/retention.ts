import { Duration } from 'aws-cdk-lib';

/** Time for a redriven message to be received and processed after it left the dead-letter queue. */
const REDRIVE_ALLOWANCE = Duration.days(1);

/**
 * The longest a message of one event can still reach a processor: its queue's retention, then the
 * dead-letter queue's (FIFO restarts a message's retention there), then — redriven, which makes a
 * new message — the queue's retention again, and a day to be processed. The processor's
 * once-per-event records and the large bodies its messages point at must both outlive it: otherwise
 * a redriven event that had completed runs again, or one that had not finds no body.
 */
export function messageLifetime(queueRetention: Duration, deadLetterRetention: Duration): Duration {
  return Duration.seconds(2 * queueRetention.toSeconds() + deadLetterRetention.toSeconds() + REDRIVE_ALLOWANCE.toSeconds());
}
