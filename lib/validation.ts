import { Token } from 'aws-cdk-lib';

/** Thrown when construct props are invalid; lists every problem at once. */
export class HardenedWebhooksValidationError extends Error {
  public constructor(construct: string, public readonly problems: readonly string[]) {
    super(`${construct}: invalid props:\n- ${problems.join('\n- ')}`);
    this.name = 'HardenedWebhooksValidationError';
  }
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
    if (this.problems.length > 0) throw new HardenedWebhooksValidationError(this.construct, this.problems);
  }
}
