/**
 * Errors of the archive commands (`replay`, `archive show|list|erase`). Each has a stable `code` and
 * a message an operator can act on. Messages name stacks, endpoints, buckets, keys, event IDs and
 * digests only: never an event body, a header value or a credential.
 */
import { describeError } from '../redrive/errors';

/** Base class: every error the archive core throws on purpose. */
export abstract class ArchiveError extends Error {
  public abstract readonly code: string;

  protected constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A flag's value is not what the command accepts (exit status 2, like a usage error). */
export class ArchiveInputError extends ArchiveError {
  public readonly code = 'BAD_INPUT';

  public constructor(public readonly flag: string, message: string) {
    super(`${flag}: ${message}`);
  }
}

/** The stack has no endpoint with an event bucket, or none of the one asked for. */
export class EventBucketNotFoundError extends ArchiveError {
  public readonly code = 'NO_EVENT_BUCKET';

  public constructor(message: string) {
    super(message);
  }
}

/** `--endpoint` (or its absence) does not name exactly one endpoint of the stack. */
export class EndpointSelectionError extends ArchiveError {
  public readonly code = 'ENDPOINT_SELECTION';

  public constructor(message: string) {
    super(message);
  }
}

/** The endpoint's verifier configuration (event types, processor names) cannot be read from the template. */
export class RoutingUnknownError extends ArchiveError {
  public readonly code = 'ROUTING_UNKNOWN';

  public constructor(message: string) {
    super(message);
  }
}

/**
 * An object of the archive is not what the verifier writes: not JSON, another version, or a record
 * whose event ID does not hash to the key it is stored under. Never replayed, never trusted.
 */
export class InvalidArchiveRecordError extends ArchiveError {
  public readonly code = 'INVALID_RECORD';

  public constructor(public readonly key: string, reason: string) {
    super(`archive object ${key} is not a valid archive record: ${reason}`);
  }
}

/** An S3 call the command cannot go on without failed. */
export class S3CallError extends ArchiveError {
  public readonly code = 'S3_CALL_FAILED';

  public constructor(public readonly operation: string, public readonly target: string, cause: unknown) {
    super(`${operation} ${target} failed: ${describeError(cause)}`, { cause });
  }
}

/**
 * Whether an event was already replayed with this replay ID cannot be told: its replay marker could
 * not be looked up. The event is not sent: sending it on a guess could run the same replay twice.
 */
export class ReplayMarkerUnknownError extends ArchiveError {
  public readonly code = 'REPLAY_MARKER_UNKNOWN';

  public constructor(public readonly target: string, cause: unknown) {
    const { $metadata } = (cause ?? {}) as { $metadata?: { httpStatusCode?: number } };
    // S3 refuses a missing key with 403 to a caller who may not list its prefix.
    const hint = $metadata?.httpStatusCode === 403
      ? ' (S3 answers 403 for a missing key to a caller without s3:ListBucket on archive/replays/, which grantReplay grants)'
      : '';
    super(`cannot tell whether it was already replayed: HeadObject ${target} failed: ${describeError(cause)}${hint}; not sent`, { cause });
  }
}

/** Who is erasing cannot be established (STS GetCallerIdentity failed): nothing is erased without it. */
export class CallerUnknownError extends ArchiveError {
  public readonly code = 'CALLER_UNKNOWN';

  public constructor(cause: unknown) {
    super(`cannot establish who is erasing (sts:GetCallerIdentity failed: ${describeError(cause)}); nothing was erased`, { cause });
  }
}

/**
 * The erasure removed the event's objects but its audit object could not be written. The message
 * carries the audit document (digest, keys, reason, caller: no event data) so that it can be kept by hand.
 */
export class AuditWriteError extends ArchiveError {
  public readonly code = 'AUDIT_NOT_WRITTEN';

  public constructor(public readonly auditKey: string, public readonly audit: unknown, cause: unknown) {
    super(`the audit object ${auditKey} could not be written (${describeError(cause)}), so nothing was erased: `
      + 'an erasure is recorded before anything is deleted. Run it again once the audit can be written.', { cause });
  }
}

/** An event whose message exceeds SQS's limit even with its body in the event bucket (an enormous ID or type). */
export class MessageTooLargeError extends ArchiveError {
  public readonly code = 'MESSAGE_TOO_LARGE';

  public constructor(public readonly bytes: number, public readonly limit: number) {
    super(`the message is ${bytes} bytes even with the body in the event bucket (SQS takes ${limit})`);
  }
}
