import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/** The services that use a customer-managed key on a function's behalf. */
export type KeyService = 'dynamodb' | 'sqs' | 'secretsmanager' | 's3';

/**
 * Grants `actions` on `key` only when a service calls KMS on the grantee's behalf (`kms:ViaService`
 * = `<service>.<region>.<url suffix>` of `scope`'s stack) and only with the given encryption context,
 * which names the one table, queue, secret or bucket. Added to the grantee's policy only: the key
 * policy is left untouched, so no unconditioned statement appears on either side.
 */
export function grantKeyThroughService(
  scope: Construct, grantee: iam.IGrantable, key: kms.IKey, service: KeyService,
  actions: string[], encryptionContext: Record<string, string>,
): iam.Grant {
  const stack = Stack.of(scope);
  return iam.Grant.addToPrincipal({
    grantee,
    actions,
    resourceArns: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `${service}.${stack.region}.${stack.urlSuffix}`, ...encryptionContext } },
  });
}
