/**
 * Where the CLI writes: results on stdout (human lines, or JSON with --json), progress and errors on
 * stderr, so `--json` output pipes cleanly. Injectable, for tests.
 */
export class Output {
  /** Set to non-zero by a command whose work failed without an exception (a refused request). */
  public exitCode = 0;

  public constructor(
    private readonly stdout: (text: string) => void = (text) => writeTo(process.stdout, text),
    private readonly stderr: (text: string) => void = (text) => writeTo(process.stderr, text),
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

/** Writes to a standard stream; a reader that went away (`… | head`) ends the output quietly. */
function writeTo(stream: NodeJS.WriteStream, text: string): void {
  if (!stream.listeners('error').includes(ignoreClosedReader)) stream.on('error', ignoreClosedReader);
  stream.write(text);
}

function ignoreClosedReader(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
}
