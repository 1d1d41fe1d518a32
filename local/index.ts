/**
 * Local harness: runs a HardenedWebhookEndpoint from its synthesized template against an AWS
 * emulator (moto), with the built handler bundles, an API Gateway emulation, an SQS event source
 * mapping emulation and a counting, fault-injecting AWS proxy. See README, "Local harness".
 */
export { startHarness, type Harness, type HarnessOptions, type HarnessProcessor, type HarnessRequest, type HarnessResponse, type ProcessorContext, type ProcessorHandler, type ProcessorImplementation, type AwsClientConfig } from './harness';
export { AwsProxy, type AwsProxyOptions, type CallFilter, type CallOutcome, type CallRecord, type CallerInfo, type CallView, type Fault, type FaultAction, type FaultSpec } from './aws-proxy';
export { RestApiEmulator, type InvocationRecord, type RestApiStats } from './api-gateway';
export { LambdaFunctionHost, SandboxClock, loadBundle, type FunctionStats, type InvokeOutcome, type LambdaHandler, type LogEntry } from './lambda';
export { SqsEventSourcePoller, type PollerOptions, type PollerStats } from './sqs-poller';
export { EmulatorUnavailableError, resetMoto, startMoto, type MotoServer } from './moto';
export { percentile } from './stats';
