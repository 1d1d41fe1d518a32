// The guards take `any`, not `unknown`: jsii has no `unknown`, and other languages pass whatever
// their catch clause gave them.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { VALIDATION_ERROR, type ValidationError } from './private/validation';

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
