import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { defaultProvider } from '../bundling/lambda-credentials';
import { DIMENSIONS, ENV, METRICS } from '../shared/contract';
import { emitMetric } from '../shared/emf';
import { ClaimStore } from './claims';
import { Dispatcher } from './dispatch';
import { createVerifier, loadConfig } from './handler';
import { lazyEventBucket } from './objects';
import type * as S3Module from './s3';
import { SigningSecretCache } from './secrets';

// Clients and configuration live at module scope: built once per container, reused by every request.
const config = loadConfig(process.env[ENV.VERIFIER_CONFIG]);

/**
 * A hung AWS call must end in a clean 503 well within the sender's own timeout (GitHub waits 10 s),
 * not in a Lambda timeout; the SDK's default retries still apply (3 attempts, 4 for DynamoDB). Current Smithy
 * handlers only throw on `requestTimeout` with `throwOnRequestTimeout`; `socketTimeout` (idle
 * socket) covers older handlers too (the bundle carries its own SDK, but the setting costs nothing).
 */
const clientOptions = {
  requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true, socketTimeout: 2000 },
};

export const handler = createVerifier(config, {
  secrets: new SigningSecretCache(new SecretsManagerClient(clientOptions), config.signingSecretArn, config.secretCacheTtlSeconds * 1000, Date.now, (dropped) => {
    // Malformed entries fail closed; say so, without any part of the secret (index and reason only).
    emitMetric(METRICS.SIGNING_SECRET_ENTRIES_DROPPED, { [DIMENSIONS.ENDPOINT]: config.endpointName }, dropped.length);
    console.log(JSON.stringify({ level: 'WARN', msg: 'signing secret entries dropped', count: dropped.length, dropped }));
  }),
  claims: new ClaimStore(new DynamoDBClient(clientOptions), config.tableName, config.retentionSeconds),
  // Every processor queue is in this function's region: send to the endpoint the client resolves
  // (or that AWS_ENDPOINT_URL_SQS names), never to the host a queue URL happens to carry.
  dispatcher: new Dispatcher(new SQSClient({ ...clientOptions, useQueueUrlAsEndpoint: false })),
  // The S3 client is a bundle of its own beside this one (assets/verifier/s3.js), required on the
  // first write: a verifier that sends no large body and keeps no archive never parses it. Its
  // credentials come from this bundle's cache, which the other clients share: one fetch per process.
  bucket: config.eventBucket === undefined ? undefined : lazyEventBucket(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createEventBucket } = require('./s3') as typeof S3Module;
    return createEventBucket({ ...clientOptions, credentials: defaultProvider() });
  }),
});
