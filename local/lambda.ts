import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { format } from 'node:util';
import type { Context } from 'aws-lambda';
import type { AwsProxy, CallerInfo } from './aws-proxy';

/**
 * Lambda's limit on a synchronous (RequestResponse) invocation's payload: the event as the JSON
 * the Invoke request carries. Documented as "6 MB" (Lambda quotas, "Invocation payload (request and
 * response)"); the service states it in bytes when it refuses one — "N byte payload is too large
 * for the RequestResponse invocation type (limit 6291456 bytes)", as API Gateway's execution log
 * shows it (theburningmonk.com, "Hit the 6MB Lambda payload limit?", 2020), or
 * RequestEntityTooLargeException "Request must be smaller than 6291456 bytes for the
 * InvokeFunction operation" from Invoke itself (Zac Charles, "Deep Dive: Lambda's Request Payload
 * Size Limit", 2022). A payload of exactly this many bytes is taken as within the limit.
 */
export const LAMBDA_SYNC_REQUEST_LIMIT_BYTES = 6_291_456;

/** The size of an invocation's payload as Lambda counts it: the bytes of the event's JSON. */
export function invocationPayloadBytes(event: unknown): number {
  return Buffer.byteLength(JSON.stringify(event ?? null), 'utf8');
}

/** A Lambda handler as the Node.js runtime calls it (async style). */
export type LambdaHandler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R> | R;

/** The function's code: a built bundle run like the Lambda runtime would, or a function supplied in-process. */
export type FunctionCode =
  | { readonly bundleFile: string; readonly exportName: string }
  | { readonly handler: LambdaHandler }
  /**
   * A handler built for each execution environment, given the environment's own endpoint at the
   * proxy: when the environment is stopped (a timeout) its AWS calls are cut off, as a bundle's are,
   * instead of the stopped invocation finishing its batch in the background.
   */
  | { readonly perEnvironment: (environment: { readonly endpoint: string }) => LambdaHandler };

/** One function of the template, as the harness hosts it. */
export interface FunctionDefinition {
  readonly logicalId: string;
  /** Physical name (`AWS_LAMBDA_FUNCTION_NAME`). */
  readonly name: string;
  readonly arn: string;
  /** The function's Timeout from the template (Lambda's default is 3 s). */
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly runtime?: string;
  /** The template's environment variables, references resolved to the emulated resources. */
  readonly environment: Readonly<Record<string, string>>;
  readonly code: FunctionCode;
  /** How its AWS calls are labelled at the proxy. */
  readonly role: CallerInfo['role'];
  readonly owner?: string;
  /** ReservedConcurrentExecutions: invocations beyond it are throttled. @default - unlimited */
  readonly reservedConcurrency?: number;
}

/** How an invocation ended. */
export type InvokeOutcome =
  | { readonly kind: 'result'; readonly value: unknown; readonly durationMs: number; readonly coldStart: boolean }
  /** The handler threw or rejected (Lambda: `Unhandled` function error). */
  | { readonly kind: 'error'; readonly error: unknown; readonly durationMs: number; readonly coldStart: boolean }
  /** The handler ran past the function's Timeout; its execution environment was stopped. */
  | { readonly kind: 'timeout'; readonly durationMs: number; readonly coldStart: boolean }
  /** The module failed to load (Lambda: `Runtime.ImportModuleError` / init error). */
  | { readonly kind: 'init-error'; readonly error: unknown; readonly durationMs: number; readonly coldStart: true }
  /** Reserved concurrency exhausted (Lambda: 429 TooManyRequestsException). */
  | { readonly kind: 'throttled'; readonly durationMs: 0; readonly coldStart: false };

/** One line a hosted function wrote. */
export interface LogEntry {
  readonly at: number;
  /** `<function name>#<environment number>` */
  readonly source: string;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/**
 * The clock hosted bundles see as `Date` (their `Date.now()` and `new Date()`); the SDK keeps the real
 * clock. It runs with the real time, offset by `advance`/`set`, or stands still at a `freeze`d
 * instant: a test about a timestamp window freezes it, so that however long a busy machine takes to
 * deliver the request, the verifier judges it at exactly the instant the test chose.
 */
export class SandboxClock {
  private offsetMs = 0;
  private frozenAtMs: number | undefined;

  /** The sandbox's current time in epoch milliseconds. */
  public now(): number {
    return this.frozenAtMs ?? Date.now() + this.offsetMs;
  }

  /** Moves the sandbox clock forward (or back, with a negative value); a frozen clock stays frozen, at the new instant. */
  public advance(ms: number): void {
    if (this.frozenAtMs !== undefined) this.frozenAtMs += ms;
    else this.offsetMs += ms;
  }

  /** Sets the sandbox clock to an absolute time, from which it runs on. */
  public set(epochMs: number): void {
    this.frozenAtMs = undefined;
    this.offsetMs = epochMs - Date.now();
  }

  /** Stops the sandbox clock at an instant (default: now) until `set`, `reset` or another `freeze`. */
  public freeze(epochMs: number = this.now()): void {
    this.frozenAtMs = epochMs;
  }

  /** Back to the real time, running. */
  public reset(): void {
    this.frozenAtMs = undefined;
    this.offsetMs = 0;
  }

  /** The offset from the real clock, in milliseconds. */
  public get offset(): number {
    return this.now() - Date.now();
  }
}

/** What every hosted function shares: the proxy, the region, fake credentials, the clock and the log sink. */
export interface LambdaRuntimeContext {
  readonly proxy: AwsProxy;
  readonly region: string;
  readonly accountId: string;
  readonly clock: SandboxClock;
  readonly log: (entry: LogEntry) => void;
  /** Extra environment variables for every hosted function (e.g. `AWS_MAX_ATTEMPTS`). */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
}

/** Counters of one hosted function. */
export interface FunctionStats {
  invocations: number;
  coldStarts: number;
  errors: number;
  timeouts: number;
  initErrors: number;
  throttles: number;
  /** Duration of every completed invocation (result or error), in milliseconds. */
  readonly durationsMs: number[];
}

interface ExecutionEnvironment {
  readonly id: number;
  readonly callerId: string;
  readonly handler: LambdaHandler;
  dead: boolean;
}

/**
 * Hosts one Lambda function as the Lambda service does: one execution environment per concurrent
 * invocation (created on demand, reused when idle), each with its own instance of the bundle's
 * module — so module-scope state (SDK clients, caches) is per environment, as in Lambda — and its
 * own endpoint at the AWS proxy. An invocation that runs past the function's Timeout is answered
 * as a timeout and its environment is stopped: the proxy cuts it off, so nothing it still tries
 * reaches AWS, and the next invocation gets a fresh environment (a cold start).
 */
export class LambdaFunctionHost {
  public readonly stats: FunctionStats = { invocations: 0, coldStarts: 0, errors: 0, timeouts: 0, initErrors: 0, throttles: 0, durationsMs: [] };
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly all = new Set<ExecutionEnvironment>();
  private nextId = 1;
  private running = 0;
  private stopped = false;

  public constructor(public readonly definition: FunctionDefinition, private readonly runtime: LambdaRuntimeContext) {}

  /** Invocations running now. */
  public get inFlight(): number {
    return this.running;
  }

  /** Live execution environments (busy or idle). */
  public get environments(): number {
    return this.all.size;
  }

  /** Invokes the function synchronously (RequestResponse) with a copy of the event. */
  public async invoke(event: unknown): Promise<InvokeOutcome> {
    if (this.stopped) throw new Error(`function ${this.definition.name} is stopped`);
    if (this.definition.reservedConcurrency !== undefined && this.running >= this.definition.reservedConcurrency) {
      this.stats.throttles++;
      return { kind: 'throttled', durationMs: 0, coldStart: false };
    }
    this.running++;
    this.stats.invocations++;
    const started = Date.now();
    try {
      let environment = this.idle.pop();
      const coldStart = environment === undefined;
      if (!environment) {
        this.stats.coldStarts++;
        try {
          environment = await this.createEnvironment();
        } catch (error) {
          this.stats.initErrors++;
          return { kind: 'init-error', error, durationMs: Date.now() - started, coldStart: true };
        }
      }
      const outcome = await this.run(environment, event, started, coldStart);
      if (outcome.kind !== 'timeout' && !environment.dead && !this.stopped) this.idle.push(environment);
      return outcome;
    } finally {
      this.running--;
    }
  }

  /** Stops every execution environment (their AWS calls are cut off). */
  public stop(): void {
    this.stopped = true;
    for (const environment of this.all) this.kill(environment);
    this.idle.length = 0;
  }

  private async run(environment: ExecutionEnvironment, event: unknown, started: number, coldStart: boolean): Promise<InvokeOutcome> {
    const deadline = Date.now() + this.definition.timeoutMs;
    const requestId = randomUUID();
    const context = this.context(environment, requestId, deadline);
    const payload = JSON.parse(JSON.stringify(event ?? null)) as unknown;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.definition.timeoutMs);
    });
    const execution = (async () => environment.handler(payload, context))().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const settled = await Promise.race([execution, timedOut]);
    clearTimeout(timer);
    const durationMs = Date.now() - started;
    if (settled === 'timeout') {
      this.stats.timeouts++;
      this.writeLog(environment, 'stdout', `${new Date().toISOString()} ${requestId} Task timed out after ${(this.definition.timeoutMs / 1000).toFixed(2)} seconds`);
      this.kill(environment);
      return { kind: 'timeout', durationMs, coldStart };
    }
    this.stats.durationsMs.push(durationMs);
    if (!settled.ok) {
      this.stats.errors++;
      this.writeLog(environment, 'stderr', `${requestId} ERROR Invoke Error ${describe(settled.error)}`);
      return { kind: 'error', error: settled.error, durationMs, coldStart };
    }
    // The runtime serialises the result as JSON: undefined fields vanish, dates become strings.
    const value = settled.value === undefined ? null : JSON.parse(JSON.stringify(settled.value)) as unknown;
    return { kind: 'result', value, durationMs, coldStart };
  }

  private kill(environment: ExecutionEnvironment): void {
    environment.dead = true;
    this.all.delete(environment);
    const index = this.idle.indexOf(environment);
    if (index >= 0) this.idle.splice(index, 1);
    this.runtime.proxy.kill(environment.callerId);
  }

  private async createEnvironment(): Promise<ExecutionEnvironment> {
    const id = this.nextId++;
    const definition = this.definition;
    const callerId = `${definition.role === 'function' ? definition.name : definition.role}${definition.owner ? `:${definition.owner}` : ''}#${id}`;
    const endpoint = await this.runtime.proxy.endpointFor({ id: callerId, role: definition.role, owner: definition.owner });
    const source = `${definition.name}#${id}`;
    let handler: LambdaHandler;
    if ('handler' in definition.code) {
      handler = definition.code.handler;
    } else if ('perEnvironment' in definition.code) {
      handler = definition.code.perEnvironment({ endpoint });
    } else {
      const env = this.environmentVariables(endpoint, id);
      handler = loadBundle({
        file: definition.code.bundleFile,
        exportName: definition.code.exportName,
        env,
        now: () => this.runtime.clock.now(),
        write: (stream, text) => this.runtime.log({ at: Date.now(), source, stream, text }),
      });
    }
    const environment: ExecutionEnvironment = { id, callerId, handler, dead: false };
    this.all.add(environment);
    return environment;
  }

  /**
   * The variables Lambda sets, the template's, and the emulator endpoint with fake credentials.
   *
   * Every SDK client of the bundle reaches the proxy through `AWS_ENDPOINT_URL`, S3 included, with
   * nothing the bundle must do: the SDK has no environment variable or config-file setting for
   * path-style addressing (`forcePathStyle` is a client option only), but S3's endpoint rules address
   * a bucket by path whenever the custom endpoint's host is an IP address, and the proxy's endpoints
   * are all `http://127.0.0.1:<port>` (a host name such as `localhost` would get `<bucket>.localhost`).
   * Service-specific variables (`AWS_ENDPOINT_URL_S3`, …) win over `AWS_ENDPOINT_URL` in the SDK,
   * so any the template or the caller sets are dropped: a call that bypassed the proxy would be
   * neither counted nor faulted, nor cut off when its environment is stopped.
   */
  private environmentVariables(endpoint: string, id: number): Record<string, string> {
    const definition = this.definition;
    const runtime = definition.runtime ?? 'nodejs22.x';
    const taskRoot = 'bundleFile' in definition.code ? path.dirname(definition.code.bundleFile) : process.cwd();
    const variables: Record<string, string> = {
      PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      _HANDLER: `index.${'exportName' in definition.code ? definition.code.exportName : 'handler'}`,
      AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: definition.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${definition.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(id),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: this.runtime.region,
      AWS_DEFAULT_REGION: this.runtime.region,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      ...definition.environment,
      ...this.runtime.extraEnvironment,
      AWS_ENDPOINT_URL: endpoint,
    };
    for (const name of Object.keys(variables)) {
      if (name.startsWith('AWS_ENDPOINT_URL_')) delete variables[name];
    }
    return variables;
  }

  private context(environment: ExecutionEnvironment, requestId: string, deadline: number): Context {
    const definition = this.definition;
    const unsupported = () => {
      throw new Error('callback-style context methods are not supported by the Node.js 24 runtime');
    };
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: definition.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: definition.arn,
      memoryLimitInMB: String(definition.memoryMb),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${definition.name}`,
      logStreamName: logStreamName(environment.id),
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: unsupported,
      fail: unsupported,
      succeed: unsupported,
    };
  }

  private writeLog(environment: ExecutionEnvironment, stream: 'stdout' | 'stderr', text: string): void {
    this.runtime.log({ at: Date.now(), source: `${this.definition.name}#${environment.id}`, stream, text });
  }
}

function logStreamName(id: number): string {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[$LATEST]${id.toString(16).padStart(32, '0')}`;
}

function describe(error: unknown): string {
  if (error instanceof Error) return JSON.stringify({ errorType: error.name, errorMessage: error.message });
  return JSON.stringify({ errorType: typeof error, errorMessage: String(error) });
}

/** Options of {@link loadBundle}. */
export interface LoadBundleOptions {
  /** The bundle's entry file, e.g. `assets/verifier/index.js`. */
  readonly file: string;
  /** The exported handler, e.g. `handler`. */
  readonly exportName: string;
  /** The module's `process.env`. */
  readonly env: Record<string, string>;
  /** The module's clock (`Date.now()`, `new Date()`). @default Date.now */
  readonly now?: () => number;
  /** Receives what the module writes to stdout/stderr and the console. @default - discarded */
  readonly write?: (stream: 'stdout' | 'stderr', text: string) => void;
}

/**
 * Evaluates a CommonJS bundle as a fresh module instance, the way a new Lambda execution
 * environment loads it, and returns its handler.
 *
 * Why not `require()` with a cleared cache under a patched `process.env`: the bundle reads its
 * configuration at module load, and the AWS SDK reads `AWS_ENDPOINT_URL`, the region and
 * credentials lazily, on the first request — from `process.env`. Two environments with different
 * endpoints in one Node process would race on the one global. So the bundle is compiled as a
 * function of its own `process` (whose `env`, `stdout` and `stderr` are the environment's),
 * `console` and `Date`: an SDK bundled inside it (as this library's handlers have it) reads that
 * `env`. For a bundle that leaves the SDK external (`NodejsFunction`'s default), its `require` hands
 * it SDK client classes that take region, endpoint, credentials and retry settings from the same
 * `env` when the module builds them; everything else is the real module, so `instanceof` checks
 * hold. A file of the function's own that the bundle requires by path (a module it loads on first
 * use) is evaluated the same way, once per environment. Compiled with `new Function` so it runs in
 * the caller's realm.
 */
export function loadBundle(options: LoadBundleOptions): LambdaHandler {
  const file = path.resolve(options.file);
  const source = readBundle(file);
  const write = options.write ?? (() => undefined);
  // Real Writables: node:console (used by Powertools) listens for 'error' on the stream it writes to.
  const stream = (name: 'stdout' | 'stderr') => Object.assign(new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, callback) {
      write(name, Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      callback();
    },
  }), { isTTY: false, fd: name === 'stdout' ? 1 : 2 });
  const sandboxProcess = Object.create(process, {
    env: { value: options.env, enumerable: true, writable: true, configurable: true },
    stdout: { value: stream('stdout'), enumerable: true },
    stderr: { value: stream('stderr'), enumerable: true },
  }) as NodeJS.Process;
  const line = (level: string) => (...args: unknown[]) => write(level === 'ERROR' || level === 'WARN' ? 'stderr' : 'stdout', `${level}\t${format(...args)}`);
  const sandboxConsole = {
    ...console,
    log: line('INFO'), info: line('INFO'), debug: line('DEBUG'), trace: line('TRACE'), warn: line('WARN'), error: line('ERROR'),
  };
  const sandboxGlobals = [sandboxProcess, sandboxConsole, sandboxDate(options.now ?? Date.now)] as const;
  // The environment's own module registry, as Node's require cache is per Lambda process.
  const modules = new Map<string, SandboxModule>();
  const load = (moduleFile: string): SandboxModule => {
    const cached = modules.get(moduleFile);
    if (cached) return cached;
    const module: SandboxModule = { exports: {}, id: moduleFile, filename: moduleFile, loaded: false };
    modules.set(moduleFile, module); // before evaluating it: a cycle gets the partial exports, as in Node
    try {
      const moduleSource = moduleFile === file ? source : readBundle(moduleFile);
      if (moduleFile.endsWith('.json')) {
        module.exports = JSON.parse(moduleSource) as Record<string, unknown>;
      } else {
        const sandboxRequire = Object.assign((id: string) => {
          const local = bundleFileFor(id, path.dirname(moduleFile));
          return local === undefined ? requireForSandbox(id, options.env) : load(local).exports;
        }, { resolve: require.resolve, cache: require.cache });
        const evaluate = new Function('exports', 'require', 'module', '__filename', '__dirname', 'process', 'console', 'Date', `${withBuiltinImportsAsRequire(moduleSource)}\n//# sourceURL=${moduleFile}`);
        evaluate.call(module.exports, module.exports, sandboxRequire, module, moduleFile, path.dirname(moduleFile), ...sandboxGlobals);
      }
    } catch (error) {
      modules.delete(moduleFile); // as Node does: the next require tries again rather than getting half a module
      throw error;
    }
    module.loaded = true;
    return module;
  };
  const module = load(file);
  const handler = module.exports[options.exportName];
  if (typeof handler !== 'function') throw new Error(`Runtime.HandlerNotFound: ${path.basename(file)}.${options.exportName} is undefined or not exported`);
  return handler as LambdaHandler;
}

/** A module evaluated inside a sandbox (see {@link loadBundle}). */
interface SandboxModule {
  exports: Record<string, unknown>;
  readonly id: string;
  readonly filename: string;
  loaded: boolean;
}

/**
 * The file a bundle's `require` of a path names (`./s3.js`, `../x`, an absolute path), resolved as
 * Node resolves a file (as is, then `.js`, `.json`, `/index.js`), relative to the requiring module;
 * `undefined` for a package or built-in. A handler may load part of itself on first use (the
 * verifier's S3 client is `assets/verifier/s3.js` beside its index.js): that file is part of the
 * function's code, so it is evaluated in the same sandbox — its SDK client must read the
 * environment's `process.env`, whose `AWS_ENDPOINT_URL` is the proxy, not the harness's.
 */
function bundleFileFor(id: string, directory: string): string | undefined {
  if (!(id.startsWith('./') || id.startsWith('../') || path.isAbsolute(id))) return undefined;
  const base = path.resolve(directory, id);
  for (const candidate of [base, `${base}.js`, `${base}.json`, path.join(base, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  throw Object.assign(new Error(`Cannot find module '${id}' from '${directory}'`), { code: 'MODULE_NOT_FOUND' });
}

/**
 * The bundled AWS SDK imports some Node built-ins on first use with `import("node:http")` (its HTTP
 * handler, for the emulator's `http://` endpoints; Lambda's own `https://` endpoints never take that
 * path). Code compiled by `new Function` inside a vm context — Jest's — cannot run a dynamic import
 * without `--experimental-vm-modules`, so a built-in's import becomes the `require` of the same
 * module, wrapped in a promise as `import()` returns it (with `default`, as an ES namespace has).
 */
function withBuiltinImportsAsRequire(source: string): string {
  return source.replace(/\bimport\((["'])(node:[a-z_/]+)\1\)/g, (_match, _quote: string, name: string) =>
    `Promise.resolve(require(${JSON.stringify(name)})).then((m) => ({ ...m, default: m }))`);
}

/** Reads a bundle, waiting briefly if a concurrent `npm run build` is rewriting the assets folder. */
function readBundle(file: string): string {
  for (let attempt = 0; ; attempt++) {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 50) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
}

const shimCache = new WeakMap<object, Map<string, unknown>>();

/** `require` for a sandboxed bundle: AWS SDK clients configured from the sandbox's env, the rest as is. */
function requireForSandbox(id: string, env: Record<string, string>): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const real = require(id) as Record<string, unknown>;
  if (!id.startsWith('@aws-sdk/client-')) return real;
  let cache = shimCache.get(env);
  if (!cache) shimCache.set(env, (cache = new Map()));
  const cached = cache.get(id);
  if (cached) return cached;
  const shim: Record<string, unknown> = { ...real };
  for (const [name, value] of Object.entries(real)) {
    if (isClientClass(value)) shim[name] = configuredClient(value, env);
  }
  cache.set(id, shim);
  return shim;
}

type ClientClass = new (config?: Record<string, unknown>) => { send: unknown };

function isClientClass(value: unknown): value is ClientClass {
  const prototype = (value as { prototype?: { send?: unknown; destroy?: unknown } } | undefined)?.prototype;
  return typeof value === 'function' && typeof prototype?.send === 'function' && typeof prototype.destroy === 'function';
}

/** A subclass of an SDK client that fills region, endpoint, credentials and retries from the sandbox env. */
function configuredClient(Base: ClientClass, env: Record<string, string>): ClientClass {
  const fromEnv = (): Record<string, unknown> => ({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) },
    ...(env.AWS_MAX_ATTEMPTS ? { maxAttempts: Number(env.AWS_MAX_ATTEMPTS) } : {}),
    ...(env.AWS_RETRY_MODE ? { retryMode: env.AWS_RETRY_MODE } : {}),
  });
  const Configured = class extends Base {
    public constructor(config: Record<string, unknown> = {}) {
      super({ ...fromEnv(), ...config });
    }
  };
  Object.defineProperty(Configured, 'name', { value: (Base as { name: string }).name });
  return Configured;
}

/** A `Date` whose `now()` and argument-less constructor follow the given clock. */
function sandboxDate(now: () => number): DateConstructor {
  const Real = Date;
  if (now === Date.now) return Real;
  function SandboxDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new Real(now()).toString();
    return Reflect.construct(Real, args.length === 0 ? [now()] : args, new.target as () => unknown);
  }
  SandboxDate.prototype = Real.prototype;
  SandboxDate.now = now;
  SandboxDate.parse = Real.parse;
  SandboxDate.UTC = Real.UTC;
  return SandboxDate as unknown as DateConstructor;
}
