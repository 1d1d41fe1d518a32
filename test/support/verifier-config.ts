import type { VerifierConfig } from '../../lambda/shared/contract';

/**
 * A Stripe verifier's configuration as the construct passes it (two processors: fulfilment for
 * payment intents, audit for what `auditTypes` says), for unit tests of the handler.
 */
export function stripeVerifierConfig(endpointName: string, auditTypes: readonly string[]): VerifierConfig {
  return {
    endpointName,
    provider: { scheme: 'stripe', options: {} },
    signingSecretArn: 'arn:secret',
    secretCacheTtlSeconds: 60,
    toleranceSeconds: 300,
    maxBodyBytes: 1024,
    tableName: 'table',
    retentionSeconds: 86400,
    processors: [
      { name: 'fulfilment', queueUrl: 'https://sqs/fulfilment.fifo', eventTypes: ['payment_intent.*'] },
      { name: 'audit', queueUrl: 'https://sqs/audit.fifo', eventTypes: [...auditTypes] },
    ],
  };
}
