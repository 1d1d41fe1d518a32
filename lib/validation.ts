import { Token } from 'aws-cdk-lib';

/**
 * Marks this library's validation errors. A registered symbol rather than `instanceof`, so the guard
 * still answers when an app ends up with two copies of the package.
 */
const VALIDATION_ERROR = Symbol.for('hardened-webhooks.ValidationError');

/**
 * Thrown when construct props are invalid; lists every problem at once. Not exported from the
 * package: jsii cannot carry an `Error` subclass to other languages, so callers use
 * {@link HardenedWebhooksErrors.isValidationError}, as aws-cdk-lib's `Errors.isValidationError` does.
 */
export class ValidationError extends Error {
  public readonly problems: string[];

  public constructor(construct: string, problems: readonly string[]) {
    super(`${construct}: invalid props:\n- ${problems.join('\n- ')}`);
    this.name = 'HardenedWebhooksValidationError';
    this.problems = [...problems];
    Object.defineProperty(this, VALIDATION_ERROR, { value: true });
  }
}

/** Type guards for the errors this library throws. */
export class HardenedWebhooksErrors {
  /** Whether `x` is a validation error of this library (invalid props, refused at synth). */
  public static isValidationError(x: any): boolean {
    return x !== null && typeof x === 'object' && VALIDATION_ERROR in x;
  }

  /** The problems a validation error lists, one sentence each; empty for any other value. */
  public static problemsOf(x: any): string[] {
    return HardenedWebhooksErrors.isValidationError(x) ? [...(x as ValidationError).problems] : [];
  }

  private constructor() {}
}

/** Collects problems, skipping values that are tokens (unknown until deploy), then throws once. */
export class PropsValidator {
  private readonly problems: string[] = [];

  public constructor(private readonly construct: string) {}

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
    if (this.problems.length > 0) throw new ValidationError(this.construct, this.problems);
  }
}
