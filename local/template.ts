/**
 * Reading a synthesized CloudFormation template the way CloudFormation would: resources by type,
 * and intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, …) resolved against the
 * physical resources the harness created in the emulator.
 */

/** One resource of a CloudFormation template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | readonly string[];
  readonly Condition?: string;
}

/** The parts of a CloudFormation template the harness reads. */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { readonly Default?: unknown }>;
}

/** What a created resource resolves to: its `Ref` value and its `Fn::GetAtt` attributes. */
export interface PhysicalResource {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Account and region the template is "deployed" to. */
export interface PseudoParameters {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly partition?: string;
  readonly urlSuffix?: string;
}

/** A value refers to a resource that does not exist (yet); the caller may create it and retry. */
export class UnresolvedReferenceError extends Error {
  public constructor(public readonly logicalId: string, detail: string) {
    super(`cannot resolve ${detail}: resource ${logicalId} has no physical value yet`);
    this.name = 'UnresolvedReferenceError';
  }
}

/** The template uses a construct the harness cannot evaluate. */
export class UnsupportedTemplateError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UnsupportedTemplateError';
  }
}

/** Marker for `AWS::NoValue`: the property is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

/** Resolves intrinsic functions against registered physical resources. */
export class TemplateResolver {
  private readonly physical = new Map<string, PhysicalResource>();

  public constructor(public readonly template: CfnTemplate, public readonly pseudo: PseudoParameters) {}

  /** Records what a resource resolves to once it exists. */
  public register(logicalId: string, resource: PhysicalResource): void {
    this.physical.set(logicalId, resource);
  }

  /** The physical resource registered for a logical ID, if any. */
  public lookup(logicalId: string): PhysicalResource | undefined {
    return this.physical.get(logicalId);
  }

  /**
   * Resolves every intrinsic in a value. Throws {@link UnresolvedReferenceError} when it refers to a
   * resource not registered yet, {@link UnsupportedTemplateError} for intrinsics it does not know.
   */
  public resolve<T = unknown>(value: unknown): T {
    const resolved = this.walk(value);
    return (resolved === NO_VALUE ? undefined : resolved) as T;
  }

  /** Resolves a value that must become a string. */
  public resolveString(value: unknown, what: string): string {
    const resolved = this.resolve(value);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new UnsupportedTemplateError(`${what} does not resolve to a string: ${JSON.stringify(resolved)}`);
  }

  private walk(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.walk(item)).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, argument] = entries[0];
      if (key === 'Ref') return this.ref(argument as string);
      if (key.startsWith('Fn::')) return this.intrinsic(key, argument);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.walk(item);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private ref(name: string): unknown {
    switch (name) {
      case 'AWS::Region': return this.pseudo.region;
      case 'AWS::AccountId': return this.pseudo.accountId;
      case 'AWS::Partition': return this.pseudo.partition ?? 'aws';
      case 'AWS::URLSuffix': return this.pseudo.urlSuffix ?? 'amazonaws.com';
      case 'AWS::StackName': return this.pseudo.stackName;
      case 'AWS::StackId': return `arn:aws:cloudformation:${this.pseudo.region}:${this.pseudo.accountId}:stack/${this.pseudo.stackName}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::NoValue': return NO_VALUE;
      default: break;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) throw new UnsupportedTemplateError(`parameter ${name} has no default; the harness cannot prompt for it`);
      return parameter.Default;
    }
    const physical = this.physical.get(name);
    if (!physical) throw new UnresolvedReferenceError(name, `{"Ref":"${name}"}`);
    return physical.ref;
  }

  private getAtt(logicalId: string, attribute: string): string {
    const physical = this.physical.get(logicalId);
    if (!physical) throw new UnresolvedReferenceError(logicalId, `Fn::GetAtt ${logicalId}.${attribute}`);
    const value = physical.attributes[attribute];
    if (value === undefined) throw new UnsupportedTemplateError(`Fn::GetAtt ${logicalId}.${attribute}: the harness does not model this attribute`);
    return value;
  }

  private intrinsic(name: string, argument: unknown): unknown {
    switch (name) {
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument as [string, string] : String(argument).split(/\.(.*)/s) as [string, string];
        return this.getAtt(logicalId, this.resolveString(attribute, 'Fn::GetAtt attribute'));
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        const resolved = this.walk(parts) as unknown[];
        return resolved.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(separator);
      }
      case 'Fn::Sub': return this.sub(argument);
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        const items = this.walk(list) as unknown[];
        return items[Number(this.walk(index))];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return this.resolveString(source, 'Fn::Split source').split(separator);
      }
      case 'Fn::Base64': return Buffer.from(this.resolveString(argument, 'Fn::Base64 argument'), 'utf8').toString('base64');
      case 'Fn::GetAZs': return [`${this.pseudo.region}a`, `${this.pseudo.region}b`, `${this.pseudo.region}c`];
      default: throw new UnsupportedTemplateError(`intrinsic ${name} is not supported by the local harness`);
    }
  }

  private sub(argument: unknown): string {
    const [text, variables] = Array.isArray(argument) ? argument as [string, Record<string, unknown>] : [argument as string, {}];
    const values = this.walk(variables) as Record<string, unknown>;
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_match, expression: string) => {
      if (expression in values) return String(values[expression]);
      const dot = expression.indexOf('.');
      if (dot > 0 && !expression.startsWith('AWS::')) return this.getAtt(expression.slice(0, dot), expression.slice(dot + 1));
      return String(this.ref(expression));
    }).replace(/\$\{!/g, '${');
  }
}

/** Resources of one type, as `[logicalId, resource]` pairs in template order. */
export function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The logical IDs a value refers to through `Ref` or `Fn::GetAtt` (pseudo parameters excluded). */
export function referencedLogicalIds(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedLogicalIds(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'Ref' && typeof item === 'string' && !item.startsWith('AWS::')) found.add(item);
      else if (key === 'Fn::GetAtt') found.add(Array.isArray(item) ? String(item[0]) : String(item).split('.')[0]);
      else referencedLogicalIds(item, found);
    }
  }
  return found;
}

/** The logical ID a `{Ref}` or `{Fn::GetAtt}` value points at, if it is exactly one of those. */
export function pointsAt(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === 'string') return record.Ref;
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}
