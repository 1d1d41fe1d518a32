import * as rotation from '../../../lambda/rotation/errors';
import * as body from '../../../lambda/runtime/body';
import * as event from '../../../lambda/runtime/event';
import * as processor from '../../../lambda/runtime/processor';
import * as tokens from '../../../lambda/runtime/tokens';
import { HandlerError } from '../../../lambda/shared/errors';
import * as tokenValue from '../../../lambda/shared/token-value';
import * as verifier from '../../../lambda/verifier/errors';

/** Every error class the Lambda code exports, from each module that defines some. */
const MODULES: Record<string, Record<string, unknown>> = { rotation, body, event, processor, tokens, tokenValue, verifier };
const errorClasses = Object.values(MODULES).flatMap((module) => Object.entries(module)
  .filter((entry): entry is [string, new (...args: never[]) => Error] => typeof entry[1] === 'function' && entry[1].prototype instanceof Error));

describe('the handlers\' errors', () => {
  it('are all found (the list below is not empty by accident)', () => {
    expect(errorClasses.map(([name]) => name).sort()).toEqual([
      'BodyReferenceError', 'ConflictingHeaderError', 'DownstreamError', 'IssuerError', 'MalformedRequestError', 'MalformedTokenValueError',
      'ProcessorConfigError', 'RotationConfigError', 'RotationStateError', 'TokenConfigError', 'TokenTestFailedError', 'TokenUnavailableError',
      'UnknownEnvelopeError', 'UnknownTokenError', 'VerifierConfigError',
    ]);
  });

  it.each(errorClasses)('%s extends HandlerError and names itself with a literal that survives minifying', (name, ErrorClass) => {
    // Arguments of every constructor's shape: strings where a name, message or step is expected.
    const args = name === 'UnknownTokenError' ? ['x', ['y']] : ['x', 'y', 'z', { cause: undefined }];
    const instance = new (ErrorClass as unknown as new (...args: unknown[]) => Error)(...args);
    expect(instance).toBeInstanceOf(HandlerError);
    expect(instance.name).toBe(name);
    expect(instance.message.length).toBeGreaterThan(0);
  });
});
