/**
 * A processor built the way the library builds its handlers (lambda/bundling/esbuild-options.cjs:
 * the SDK inside the bundle), whose S3 client is a file of its own beside index.js, required on first
 * use — as the verifier loads `assets/verifier/s3.js`. Nothing in it names an endpoint or path-style
 * addressing: the environment the harness gives the function is all it has. Each message's body is
 * written to the bucket named by `HW_EVENT_BUCKET` with a conditional write, then read back.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ENV } from '../../../../lambda/shared/contract';
import type * as Store from './store';

let store: typeof Store | undefined;

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  store ??= require('./store') as typeof Store;
  const bucket = process.env[ENV.EVENT_BUCKET] ?? '';
  for (const record of event.Records) {
    const key = `seen/${record.messageId}`;
    const read = await store.writeOnceAndRead(bucket, key, record.body);
    if (read !== record.body) throw new Error(`${key}: read back a different body`);
  }
  return { batchItemFailures: [] };
};
