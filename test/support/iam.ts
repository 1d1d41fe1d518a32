import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/** One expected IAM statement, as it appears in the template (intrinsics resolved with `stack.resolve`). */
export interface ExpectedStatement {
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, unknown>;
  readonly Effect?: 'Allow' | 'Deny';
}

interface TemplateStatement {
  readonly Effect?: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, unknown>;
}

/**
 * Asserts that everything the role may do is exactly `expected`: every policy attached to it
 * (AWS::IAM::Policy, inline policies, AWS::IAM::ManagedPolicy) is split into single
 * (effect, action, resource, condition) permissions and compared as sets, so the test fails on any
 * extra action, extra resource, broader condition or missing permission — whatever way CDK merged
 * the statements. A managed policy ARN on the role fails too.
 */
export function expectExactRolePolicy(template: Template, roleLogicalId: string, expected: readonly ExpectedStatement[]): void {
  const roles = template.findResources('AWS::IAM::Role');
  const role = roles[roleLogicalId];
  if (!role) throw new Error(`role ${roleLogicalId} is not in the template; roles: ${Object.keys(roles).join(', ')}`);
  expect({ role: roleLogicalId, managedPolicyArns: role.Properties?.ManagedPolicyArns ?? [] }).toEqual({ role: roleLogicalId, managedPolicyArns: [] });

  const statements: TemplateStatement[] = [];
  for (const policy of (role.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: TemplateStatement[] } }>) {
    statements.push(...policy.PolicyDocument.Statement);
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const resource of Object.values(template.findResources(type))) {
      const attached = (resource.Properties?.Roles ?? []) as unknown[];
      if (attached.some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleLogicalId }))) {
        statements.push(...(resource.Properties.PolicyDocument.Statement as TemplateStatement[]));
      }
    }
  }
  const actual = atomise(statements);
  const wanted = atomise(expected as readonly TemplateStatement[]);
  const extra = [...actual].filter((permission) => !wanted.has(permission)).sort();
  const missing = [...wanted].filter((permission) => !actual.has(permission)).sort();
  expect({ role: roleLogicalId, extra, missing }).toEqual({ role: roleLogicalId, extra: [], missing: [] });
}

/** The logical ID of a function's execution role. */
export function roleLogicalId(fn: lambda.IFunction): string {
  const role = fn.role as iam.Role | undefined;
  if (!role) throw new Error(`${fn.node.path} has no role`);
  return Stack.of(role).getLogicalId(role.node.defaultChild as CfnElement);
}

function atomise(statements: readonly TemplateStatement[]): Set<string> {
  const permissions = new Set<string>();
  for (const statement of statements) {
    const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const action of actions) {
      for (const resource of resources) {
        permissions.add(JSON.stringify({ effect: statement.Effect ?? 'Allow', action, resource, condition: sortKeys(statement.Condition ?? null) }));
      }
    }
  }
  return permissions;
}

/** Condition objects compare regardless of key order, lists of plain strings regardless of order (never Fn::Join parts). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.every((item) => typeof item === 'string') ? [...value].sort() : value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
}
