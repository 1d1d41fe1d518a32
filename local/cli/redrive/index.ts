/**
 * `hardened-webhooks redrive`: find a processor's queues in a deployed stack, list its dead-letter
 * queue without consuming it, and move the messages back. Argument parsing and output live in the
 * CLI; this is the part that talks to AWS.
 */
export {
  discoverProcessors, type CloudFormationApi, type DiscoverOptions, type ProcessorQueues, type QueueRef, type StackDescription, type StackResourceSummary, type StackSummary,
} from './discover';
export { inspectDlq, redrive, type DlqInspection, type InspectOptions, type RedriveMode, type RedriveOptions, type RedriveProgress, type RedriveResult } from './redrive';
export { checkRedrivePair, type QueueCounts, type QueueState, type RedrivePair, type SqsApi } from './queues';
export { isMoveTaskRefused, type MoveTaskOutcome } from './move-task';
export { redriveDeduplicationId, type MessageSummary } from './messages';
export type { LoopOutcome, RedriveFailure } from './loop';
export * from './errors';
