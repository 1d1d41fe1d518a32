/**
 * `hardened-webhooks redrive`: find a processor's queues in a deployed stack, list its dead-letter
 * queue without consuming it, and move the messages back. Argument parsing and output live in the
 * CLI; this is the part that talks to AWS.
 */
export { discoverProcessors, type CloudFormationApi, type ProcessorQueues, type StackResourceSummary } from './discover';
export { inspectDlq, redrive, type RedriveMode, type RedriveOptions, type RedriveProgress, type RedriveResult } from './redrive';
export { type SqsApi } from './queues';
export { isMoveTaskRefused } from './move-task';
export { redriveDeduplicationId } from './messages';
export * from './errors';
