import { Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Marks this library's validation errors. A registered symbol rather than `instanceof`, so the guard
 * (`HardenedWebhooksErrors.isValidationError`) still answers when an app ends up with two copies of
 * the package.
 */
export const VALIDATION_ERROR = Symbol.for('hardened-webhooks.ValidationError');

/**
 * What a validation error is about: a construct, named by its path (as aws-cdk's
 * `ValidationError(msg, scope)` does), or — where no construct exists yet, as in the
 * `WebhookProvider` factories — the API called, e.g. `WebhookProvider.hmac`.
 */
export type ValidationSubject = IConstruct | string;

/**
 * Thrown when construct props are invalid; lists every problem at once. The message starts with the
 * subject: `Stack/Hooks: invalid props:`, or `Stack/Hooks: grantReplay: invalid props:` for a
 * method's arguments. Not exported from the package: jsii cannot carry an `Error` subclass to other
 * languages, so callers use `HardenedWebhooksErrors.isValidationError`, as aws-cdk-lib's
 * `Errors.isValidationError` does.
 */
export class ValidationError extends Error {
  public readonly problems: string[];

  public constructor(subject: ValidationSubject, problems: readonly string[], method?: string) {
    super(`${[subjectName(subject), method].filter(Boolean).join(': ')}: invalid props:\n- ${problems.join('\n- ')}`);
    this.name = 'HardenedWebhooksValidationError';
    this.problems = [...problems];
    Object.defineProperty(this, VALIDATION_ERROR, { value: true });
  }
}

/**
 * Collects problems, skipping values that are tokens (unknown until deploy), then throws once. Give
 * it the construct being built once `super()` has run, so that the error names its path.
 */
export class PropsValidator {
  private readonly problems: string[] = [];

  public constructor(private readonly subject: ValidationSubject) {}

  public range(prop: string, value: number | undefined, min: number, max: number, unit = ''): this {
    if (value === undefined || Token.isUnresolved(value)) return this;
    if (!Number.isFinite(value) || value < min || value > max) {
      this.problems.push(`${prop} must be between ${min}${unit} and ${max}${unit}; got ${value}${unit}`);
    }
    return this;
  }

  public integer(prop: string, value: number | undefined): this {
    if (value !== undefined && !Token.isUnresolved(value) && !Number.isInteger(value)) this.problems.push(`${prop} must be a whole number; got ${value}`);
    return this;
  }

  public matches(prop: string, value: string | undefined, pattern: RegExp, allowed: string): this {
    if (value === undefined || Token.isUnresolved(value)) return this;
    if (!pattern.test(value)) this.problems.push(`${prop} must be ${allowed}; got ${JSON.stringify(value)}`);
    return this;
  }

  public check(condition: boolean, message: string): this {
    if (!condition) this.problems.push(message);
    return this;
  }

  public throwIfInvalid(): void {
    if (this.problems.length > 0) throw new ValidationError(this.subject, this.problems);
  }
}

function subjectName(subject: ValidationSubject): string {
  return typeof subject === 'string' ? subject : subject.node.path;
}
