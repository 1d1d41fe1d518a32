/**
 * The archive an endpoint keeps in its event bucket, read and erased from the command line: where
 * it is (from the deployed stack), its records by ID or time range, and erasure by event ID.
 * Argument parsing and output live in the CLI's commands; this is the part that talks to AWS.
 */
export * from './errors';
export { checkErasureInput, eraseEvent, type EraseResult, type StsApi } from './erase';
export { endpointOfProcessor, findEndpoints, readStackArchives, selectEndpoint, type ArchiveEndpoint } from './locate';
export {
  bodyOf, listTimeIndex, READ_CONCURRENCY, readRecord, scanRange, sha256Hex, sortByReceipt, type S3Api,
} from './store';
export { describeRange, parseInstant, parseRange, type TimeRange } from './time';
export { archiveClients, type GivenClients } from './clients';
export { printable } from './printable';
