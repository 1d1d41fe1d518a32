/**
 * Where the CLI writes: results on stdout (human lines, or JSON with --json), progress and errors on
 * stderr, so `--json` output pipes cleanly. Injectable, for tests.
 */
export class Output {
  /** Set to non-zero by a command whose work failed without an exception (a refused request). */
  public exitCode = 0;

  public constructor(
    private readonly stdout: (text: string) => void = (text) => process.stdout.write(text),
    private readonly stderr: (text: string) => void = (text) => process.stderr.write(text),
  ) {}

  public line(text: string): void {
    this.stdout(`${text}\n`);
  }

  public json(value: unknown): void {
    this.stdout(`${JSON.stringify(value)}\n`);
  }

  public progress(text: string): void {
    this.stderr(`${text}\n`);
  }

  public error(text: string): void {
    this.stderr(`error: ${text}\n`);
  }

  public raw(text: string): void {
    this.stdout(text);
  }

  public rawError(text: string): void {
    this.stderr(text);
  }
}
