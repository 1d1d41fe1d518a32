/**
 * The base of every error this library's Lambda code raises on purpose — the verifier, the rotation
 * function, the processor runtime. Each names itself with a literal, not its class's name: the
 * bundles are minified, so logs, Lambda's `errorType` and a caller's check read the same name in
 * every build.
 */
export abstract class HandlerError extends Error {
  protected constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}
