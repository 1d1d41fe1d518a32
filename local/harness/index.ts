/**
 * The local harness: a HardenedWebhookEndpoint run from its synthesized template against an AWS
 * emulator. `topology` reads the template, `start` brings it up, `client` talks to it, `metrics`
 * reads what its functions report.
 */
export { startHarness } from './start';
export type {
  AwsClientConfig, Harness, HarnessOptions, HarnessProcessor, HarnessRequest, HarnessResponse, ProcessorContext, ProcessorHandler, ProcessorImplementation,
} from './types';
