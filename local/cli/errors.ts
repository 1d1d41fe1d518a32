/**
 * An error the CLI reports as one line, without a stack: what went wrong and what to do. Anything
 * else that reaches the top is a bug and is printed with its stack.
 */
export class CliError extends Error {
  public constructor(message: string, public readonly exitCode = 1, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}
