import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A checkov check that does not apply to a resource, and why: checkov shows the comment with the skip. */
export interface CheckovSkip {
  /** The check, e.g. `CKV_AWS_116`. */
  readonly id: string;
  /** Why the check does not apply to this resource. */
  readonly comment: string;
}

/**
 * Declares checkov skips on a construct's CloudFormation resource (`Metadata.checkov.skip`, which
 * checkov reads from the template), added to any already declared there.
 */
export function checkovSkips(construct: IConstruct, ...skips: CheckovSkip[]): void {
  const resource = cfnResourceOf(construct);
  const existing = (resource.getMetadata('checkov') as { skip?: CheckovSkip[] } | undefined)?.skip ?? [];
  resource.addMetadata('checkov', { skip: [...existing, ...skips] });
}

/**
 * Declares a cfn-lint rule that does not apply to a construct's resource
 * (`Metadata.cfn-lint.config.ignore_checks`), with its reason next to it (`ignore_reasons`).
 */
export function cfnLintIgnore(construct: IConstruct, rule: string, reason: string): void {
  const resource = cfnResourceOf(construct);
  const config = (resource.getMetadata('cfn-lint') as { config?: { ignore_checks?: string[]; ignore_reasons?: Record<string, string> } } | undefined)?.config ?? {};
  resource.addMetadata('cfn-lint', {
    config: { ignore_checks: [...(config.ignore_checks ?? []), rule], ignore_reasons: { ...config.ignore_reasons, [rule]: reason } },
  });
}

function cfnResourceOf(construct: IConstruct): CfnResource {
  const resource = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return resource;
}
