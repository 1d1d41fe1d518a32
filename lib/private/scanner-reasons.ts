/**
 * The reasons for scanner suppressions (cdk-nag acknowledgements, checkov skips, cfn-lint ignores)
 * that apply in more than one place: written once, so that every suppression of a finding says the
 * same and an auditor reads each argument once. A reason for a single suppression stays beside it.
 */
export const SCANNER_REASONS = {
  /** cfn-lint W3005 on each bundled function (verifier, rotation), which has a role of its own. */
  functionDependsOnItsRole: 'aws-cdk-lib\'s Function depends on its role and the role\'s policy; the role entry duplicates the GetAtt on Role and is harmless.',
  /** checkov CKV_AWS_158 on the endpoint's log groups: the verifier's and the API's access log. */
  endpointLogLines: 'Lines carry event IDs, types and error codes only — never secrets, signatures or bodies (test/hardening/secrets-hygiene.test.ts); CloudWatch Logs encrypts them at rest with service-managed keys.',
  /** cdk-nag AwsSolutions-APIG4 and AwsSolutions-COG4, checkov CKV_AWS_59: the webhook route has no AWS authorizer. */
  signatureIsTheAuthentication: 'Webhook senders (Stripe, GitHub, …) cannot present AWS or Cognito credentials; every request is authenticated by its HMAC/public-key signature in the verifier, which rejects unsigned requests with 401 before anything is stored.',
} as const;
