import { CloudFormation } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { SqsApi } from '../redrive';
import type { StsApi } from './erase';
import type { S3Api } from './store';

/** Where the archive commands' AWS calls go: `--region` and `--endpoint-url`. */
export interface AwsTarget {
  readonly region?: string;
  readonly endpointUrl?: string;
}

/** Clients a caller other than the command line (a test) hands in; it keeps (and destroys) them. */
export interface GivenClients {
  readonly s3?: S3Api;
  readonly sqs?: SqsApi;
  readonly sts?: StsApi;
}

export interface ArchiveClients {
  readonly cloudFormation: CloudFormation;
  readonly s3: S3Api;
  readonly sqs: SqsApi;
  readonly sts: StsApi;
  /** Destroys the clients made here (not the given ones). */
  release(): void;
}

/**
 * The clients of one command run (constructing a client makes no call). With --endpoint-url (an emulator such as moto) S3 is addressed path-style: a local endpoint has
 * no DNS for `<bucket>.<host>`.
 */
export function archiveClients(target: AwsTarget, given: GivenClients = {}): ArchiveClients {
  const config = { ...(target.region ? { region: target.region } : {}), ...(target.endpointUrl ? { endpoint: target.endpointUrl } : {}) };
  const made: Array<{ destroy(): void }> = [];
  const make = <T extends { destroy(): void }>(client: T): T => {
    made.push(client);
    return client;
  };
  return {
    cloudFormation: make(new CloudFormation(config)),
    s3: given.s3 ?? make(new S3Client({ ...config, ...(target.endpointUrl ? { forcePathStyle: true } : {}) })),
    sqs: given.sqs ?? make(new SQSClient(config)),
    sts: given.sts ?? make(new STSClient(config)),
    release: () => made.forEach((client) => client.destroy()),
  };
}
