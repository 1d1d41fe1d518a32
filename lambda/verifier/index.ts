import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV } from '../shared/contract';
import { ClaimStore } from './claims';
import { Dispatcher } from './dispatch';
import { createVerifier, loadConfig } from './handler';
import { SigningSecretCache } from './secrets';

// Clients and configuration live at module scope: built once per container, reused by every request.
const config = loadConfig(process.env[ENV.VERIFIER_CONFIG]);

export const handler = createVerifier(config, {
  secrets: new SigningSecretCache(new SecretsManagerClient({}), config.signingSecretArn, config.secretCacheTtlSeconds * 1000),
  claims: new ClaimStore(new DynamoDBClient({}), config.tableName, config.retentionSeconds),
  dispatcher: new Dispatcher(new SQSClient({})),
});
