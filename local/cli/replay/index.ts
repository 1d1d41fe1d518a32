/**
 * `hardened-webhooks replay`: archived events sent again to one processor. Argument parsing and
 * output live in the CLI's command; this is the part that talks to AWS.
 */
export { replay, type ReplayedEvent, type ReplayResult, type ReplaySelection, type ReplayTarget } from './replay';
export { bodyReference, deliveryOf, replayDedupId, replayGroupId, replayMessage } from './message';
export { checkReplayId } from './replay-id';
