import { createHash, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Who makes an AWS call. Each caller gets its own listener (its own endpoint URL), so the proxy
 * knows the caller without touching the request, and can cut one caller off (a Lambda execution
 * environment that timed out) without affecting the others.
 */
export interface CallerInfo {
  /** Unique name, e.g. `verifier#3` or `esm:fulfilment`. */
  readonly id: string;
  /** What kind of caller it is; counts and faults filter on it. */
  readonly role: 'verifier' | 'processor' | 'poller' | 'function' | 'client';
  /** The function or processor it belongs to, e.g. the processor name. */
  readonly owner?: string;
}

/** How a call ended at the proxy. */
export type CallOutcome =
  /** Passed to the emulator; `status` is its answer. */
  | 'forwarded'
  /** Answered by the FIFO deduplication layer without reaching the emulator (see {@link AwsProxyOptions.sqsDeduplication}). */
  | 'deduplicated'
  /** A fault answered with an AWS error. */
  | 'error'
  /** A fault reset the connection. */
  | 'reset'
  /** A fault held the call (it may later be forwarded or reset). */
  | 'hang'
  /** The caller was cut off (its execution environment is dead). */
  | 'killed'
  /** A fault let the call through to the emulator, then cut the connection before the answer. */
  | 'response-lost';

/** One AWS call seen by the proxy. */
export interface CallRecord {
  readonly seq: number;
  readonly at: number;
  readonly caller: string;
  readonly role: CallerInfo['role'];
  readonly owner?: string;
  /** Lower-case service, e.g. `dynamodb`, `sqs`, `secretsmanager`. */
  readonly service: string;
  /** API operation, e.g. `PutItem`. */
  readonly operation: string;
  /** The resource named in the input (`QueueUrl`, `TableName` or `SecretId`; an S3 call's bucket), when there is one. */
  readonly resource?: string;
  outcome: CallOutcome;
  status?: number;
  /**
   * The caller closed the connection before the proxy answered: its SDK gave up (a request
   * timeout, e.g. the verifier's 2 s). The call may still have reached the emulator and taken
   * effect; the caller saw an error. Calls the proxy itself dropped (faults, kills) are not counted.
   */
  abandoned?: boolean;
}

/** Selects calls by caller, role, service and operation (all optional; strings match exactly). */
export interface CallFilter {
  readonly caller?: string | RegExp;
  readonly role?: CallerInfo['role'];
  readonly owner?: string;
  readonly service?: string;
  readonly operation?: string | readonly string[];
  /** The resource named in the input: a queue URL, table name, secret ID or bucket. */
  readonly resource?: string;
  /** Only calls with these outcomes. @default - every outcome */
  readonly outcome?: CallOutcome | readonly CallOutcome[];
  /** Only calls the caller gave up on (true) or did not (false). @default - both */
  readonly abandoned?: boolean;
}

/**
 * A call as a fault predicate sees it, with its parsed JSON input. S3 speaks REST, not JSON: its
 * input is what the request line and headers say — `Bucket`, `Key` and the conditions
 * `IfNoneMatch` / `IfMatch` — never the object's bytes.
 */
export interface CallView extends Omit<CallRecord, 'outcome' | 'status'> {
  readonly input: Record<string, unknown>;
}

/** What a fault does to the calls it matches. */
export type FaultAction =
  /** Answer with an AWS JSON error (default HTTP 500 `InternalFailure`, which the SDK retries). */
  | { readonly type: 'error'; readonly status?: number; readonly code?: string; readonly message?: string }
  /** Destroy the connection without an answer (the SDK sees a network error and retries). */
  | { readonly type: 'reset' }
  /**
   * Hold the call without answering until the fault is healed or the caller is cut off. On heal,
   * held calls are reset (default) or forwarded late.
   */
  | { readonly type: 'hang'; readonly onHeal?: 'reset' | 'forward' }
  /** Forward the call after a delay. */
  | { readonly type: 'delay'; readonly ms: number }
  /**
   * An ambiguous outcome: the call is applied (forwarded to the emulator, through the FIFO
   * deduplication layer for SendMessage), then the connection is destroyed before the answer reaches
   * the caller. The SDK sees a network error and retries a call that already took effect.
   */
  | { readonly type: 'lose-response' }
  /**
   * A late answer: the call is applied at once (forwarded to the emulator), and its answer is held
   * until the fault is healed — the emulator has acted, the caller does not know it yet (what a
   * starved event loop does to an answer that has arrived).
   */
  | { readonly type: 'hold-response' };

/** A fault to inject. */
export interface FaultSpec extends CallFilter {
  readonly action: FaultAction;
  /** Extra condition on the call and its input, e.g. `(call) => call.input.QueueUrl === url`. */
  readonly when?: (call: CallView) => boolean;
  /** Affect at most this many matching calls, then stop. @default - every matching call until healed */
  readonly times?: number;
  /** Affect each matching call with this probability (seeded, so runs repeat). @default 1 */
  readonly probability?: number;
  /** Seed of the fault's random generator. @default - the proxy's seed */
  readonly seed?: number;
}

/** A fault in force; heal it to stop it. */
export interface Fault {
  /** Calls this fault affected so far. */
  readonly hits: number;
  /** Whether the fault still applies to new calls (false once healed or after `times` calls). */
  readonly active: boolean;
  /** Stops affecting new calls and releases the calls it holds. */
  heal(): void;
  /** Resolves once the fault affected `count` calls in total. */
  waitForHits(count?: number): Promise<void>;
}

/** What the proxy knows about a FIFO queue to emulate SQS's deduplication window. */
export interface FifoQueueInfo {
  readonly name: string;
  readonly deduplicationScope: 'queue' | 'messageGroup';
  readonly contentBasedDeduplication: boolean;
}

/** Options of {@link AwsProxy.start}. */
export interface AwsProxyOptions {
  /** The emulator, e.g. `http://127.0.0.1:5000`. */
  readonly target: string;
  /**
   * Emulate SQS FIFO deduplication faithfully for these queues: a `SendMessage` whose deduplication
   * ID was accepted in the last 5 minutes (per queue, or per message group with
   * `DeduplicationScope: messageGroup`) succeeds without adding a message — even if the first
   * message was already received and deleted. Moto only compares against messages still in the
   * queue and ignores the scope. @default - no queues (moto's behaviour)
   */
  readonly fifoQueues?: readonly FifoQueueInfo[];
  /** The deduplication window. @default 300000 (5 minutes, as SQS) */
  readonly deduplicationWindowMs?: number;
  /** Seed for faults with a probability. @default 1 */
  readonly seed?: number;
}

interface Listener {
  readonly info: CallerInfo;
  readonly server: http.Server;
  readonly sockets: Set<Socket>;
  readonly endpoint: string;
  killed: boolean;
}

interface ActiveFault {
  readonly spec: FaultSpec;
  readonly random: () => number;
  hits: number;
  active: boolean;
  readonly held: Set<() => void>;
  readonly waiters: Array<{ count: number; resolve: () => void }>;
}

interface DedupEntry {
  readonly at: number;
  readonly result: Promise<{ MessageId: string; SequenceNumber?: string } | undefined>;
}

const TARGET_SERVICES: Record<string, string> = {
  DynamoDB_20120810: 'dynamodb',
  DynamoDBStreams_20120810: 'dynamodbstreams',
  AmazonSQS: 'sqs',
  secretsmanager: 'secretsmanager',
  AWSKMS: 'kms',
  AWSEvents: 'events',
  Logs_20140328: 'logs',
  AWSStepFunctions: 'states',
};

const DEFAULT_ERROR_CODES: Record<string, string> = {
  dynamodb: 'InternalServerError',
  sqs: 'InternalError',
  secretsmanager: 'InternalServiceError',
  s3: 'InternalError',
};

/**
 * An HTTP proxy between the handlers and the AWS emulator that counts every call per caller and
 * operation (parsed from `X-Amz-Target`, or for S3 from the REST request line), and injects faults:
 * AWS errors (JSON, or S3's XML), connection resets, hangs and delays, by filter and predicate, for
 * N calls or a seeded fraction of calls.
 */
export class AwsProxy {
  /** Starts the proxy; listeners are opened per caller with {@link endpointFor}. */
  public static start(options: AwsProxyOptions): AwsProxy {
    return new AwsProxy(options);
  }

  /** Every call seen, in order. */
  public readonly calls: CallRecord[] = [];
  private readonly listeners = new Map<string, Listener>();
  private readonly pendingListeners = new Map<string, Promise<Listener>>();
  private readonly faults: ActiveFault[] = [];
  private readonly fifoQueues = new Map<string, FifoQueueInfo>();
  private readonly dedup = new Map<string, DedupEntry>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  private readonly target: URL;
  private seq = 0;
  private faultCount = 0;
  private stopped = false;

  private constructor(private readonly options: AwsProxyOptions) {
    this.target = new URL(options.target);
    for (const queue of options.fifoQueues ?? []) this.fifoQueues.set(queue.name, queue);
  }

  /** Registers a FIFO queue for the deduplication layer. */
  public registerFifoQueue(queue: FifoQueueInfo): void {
    this.fifoQueues.set(queue.name, queue);
  }

  /** The endpoint URL a caller's SDK clients use (`AWS_ENDPOINT_URL`); opened on first use. */
  public async endpointFor(caller: CallerInfo): Promise<string> {
    const existing = this.listeners.get(caller.id);
    if (existing) return existing.endpoint;
    let pending = this.pendingListeners.get(caller.id);
    if (!pending) {
      pending = this.listen(caller);
      this.pendingListeners.set(caller.id, pending);
    }
    return (await pending).endpoint;
  }

  /**
   * Cuts a caller off, as Lambda does when it stops an execution environment: its open
   * connections are destroyed (held calls included) and every later call is refused, so nothing
   * the dead environment still tries reaches the emulator.
   */
  public kill(callerId: string): void {
    const listener = this.listeners.get(callerId);
    if (!listener) return;
    listener.killed = true;
    for (const socket of listener.sockets) socket.destroy();
  }

  /** Injects a fault; it applies to calls that arrive from now on. */
  public inject(spec: FaultSpec): Fault {
    const seed = spec.seed ?? ((this.options.seed ?? 1) + this.faultCount++ * 7919);
    const fault: ActiveFault = { spec, random: mulberry32(seed), hits: 0, active: true, held: new Set(), waiters: [] };
    this.faults.push(fault);
    return {
      get hits() {
        return fault.hits;
      },
      get active() {
        return fault.active;
      },
      heal: () => this.heal(fault),
      waitForHits: (count = 1) => (fault.hits >= count ? Promise.resolve() : new Promise<void>((resolve) => fault.waiters.push({ count, resolve }))),
    };
  }

  /** Heals every fault. */
  public healAll(): void {
    for (const fault of [...this.faults]) this.heal(fault);
  }

  /** Number of calls matching the filter. */
  public count(filter: CallFilter = {}): number {
    let total = 0;
    for (const call of this.calls) if (matches(call, filter)) total++;
    return total;
  }

  /** Calls matching the filter, counted per `service.Operation` (e.g. `{ 'dynamodb.PutItem': 3 }`). */
  public counts(filter: CallFilter = {}): Record<string, number> {
    const out: Record<string, number> = {};
    for (const call of this.calls) {
      if (!matches(call, filter)) continue;
      const key = `${call.service}.${call.operation}`;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }

  /** Forgets the calls counted so far (faults stay). */
  public resetCounts(): void {
    this.calls.length = 0;
  }

  /** Closes every listener; held calls are reset. */
  public async stop(): Promise<void> {
    this.stopped = true;
    this.healAll();
    await Promise.all([...this.listeners.values()].map((listener) => new Promise<void>((resolve) => {
      for (const socket of listener.sockets) socket.destroy();
      listener.server.close(() => resolve());
    })));
    this.agent.destroy();
  }

  private heal(fault: ActiveFault): void {
    fault.active = false;
    const index = this.faults.indexOf(fault);
    if (index >= 0) this.faults.splice(index, 1);
    for (const release of [...fault.held]) release();
    fault.held.clear();
  }

  private async listen(info: CallerInfo): Promise<Listener> {
    const sockets = new Set<Socket>();
    const server = http.createServer({ keepAlive: true });
    const listener = { info, server, sockets, endpoint: '', killed: false } as Listener;
    server.on('connection', (socket) => {
      if (listener.killed || this.stopped) {
        socket.destroy();
        return;
      }
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.on('request', (request, response) => {
      void this.handle(listener, request, response).catch(() => {
        if (!response.headersSent) response.writeHead(502).end();
        else response.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    (listener as { endpoint: string }).endpoint = `http://127.0.0.1:${port}`;
    this.listeners.set(info.id, listener);
    this.pendingListeners.delete(info.id);
    return listener;
  }

  private async handle(listener: Listener, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readBody(request);
    const { service, operation } = identify(request, body);
    let input: Record<string, unknown>;
    if (service === 's3') {
      // An object's bytes are never parsed: a stored webhook body is JSON whose fields the sender chose.
      input = s3Input(request);
    } else {
      try {
        input = String(request.headers['content-type'] ?? '').includes('json') ? JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown> : {};
      } catch {
        input = {};
      }
    }
    const parsedInput = (): Record<string, unknown> => input;
    const named = service === 's3' ? input.Bucket : input.QueueUrl ?? input.TableName ?? input.SecretId;
    const record: CallRecord = {
      seq: ++this.seq, at: Date.now(), caller: listener.info.id, role: listener.info.role, owner: listener.info.owner, service, operation,
      ...(typeof named === 'string' ? { resource: named } : {}),
      outcome: 'forwarded',
    };
    this.calls.push(record);
    let droppedByProxy = false;
    const drop = () => {
      droppedByProxy = true;
      request.socket.destroy();
    };
    response.once('close', () => {
      if (!response.writableFinished && !droppedByProxy) record.abandoned = true;
    });
    if (listener.killed) {
      record.outcome = 'killed';
      drop();
      return;
    }

    const fault = this.pickFault(record, parsedInput);
    if (fault) {
      const action = fault.spec.action;
      fault.hits++;
      for (const waiter of fault.waiters.filter((w) => fault.hits >= w.count)) {
        waiter.resolve();
        fault.waiters.splice(fault.waiters.indexOf(waiter), 1);
      }
      // Exhausted faults stop matching new calls; calls they hold stay held until heal() or a kill.
      if (fault.spec.times !== undefined && fault.hits >= fault.spec.times) fault.active = false;
      switch (action.type) {
        case 'error':
          record.outcome = 'error';
          record.status = action.status ?? 500;
          sendAwsError(response, request, service, action);
          return;
        case 'reset':
          record.outcome = 'reset';
          drop();
          return;
        case 'hang': {
          record.outcome = 'hang';
          const healed = await new Promise<boolean>((resolve) => {
            const release = () => resolve(true);
            fault.held.add(release);
            request.socket.once('close', () => {
              fault.held.delete(release);
              resolve(false);
            });
          });
          if (!healed || listener.killed || (action.onHeal ?? 'reset') === 'reset') {
            drop();
            return;
          }
          break;
        }
        case 'delay':
          await new Promise((resolve) => setTimeout(resolve, action.ms));
          if (listener.killed) {
            drop();
            return;
          }
          break;
        case 'hold-response': {
          const released = new Promise<void>((resolve) => fault.held.add(resolve));
          const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => http.ServerResponse;
          const end = response.end.bind(response) as (...args: unknown[]) => http.ServerResponse;
          let head: unknown[] = [];
          response.writeHead = ((...args: unknown[]) => {
            head = args;
            return response;
          }) as typeof response.writeHead;
          response.end = ((...args: unknown[]) => {
            void released.then(() => {
              if (response.destroyed) return;
              if (head.length > 0) writeHead(...head);
              end(...args);
            });
            return response;
          }) as typeof response.end;
          break;
        }
        case 'lose-response': {
          record.outcome = 'response-lost';
          // Whatever path answers the call below, its answer never leaves: the socket goes instead.
          const lose = (): http.ServerResponse => {
            drop();
            return response;
          };
          response.writeHead = lose as typeof response.writeHead;
          response.end = lose as typeof response.end;
          break;
        }
      }
    }

    if (service === 'sqs' && operation === 'SendMessage' && this.fifoQueues.size > 0) {
      const handled = await this.deduplicate(record, parsedInput(), body, request, response);
      if (handled) return;
    } else {
      await this.forward(record, body, request, response);
    }
  }

  private pickFault(record: CallRecord, input: () => Record<string, unknown>): ActiveFault | undefined {
    for (const fault of this.faults) {
      if (!fault.active || !matches(record, fault.spec)) continue;
      if (fault.spec.when && !fault.spec.when({ ...record, input: input() })) continue;
      if (fault.spec.probability !== undefined && fault.random() >= fault.spec.probability) continue;
      return fault;
    }
    return undefined;
  }

  /**
   * SQS FIFO deduplication as SQS does it: the first send of a deduplication ID within the window
   * is forwarded; later ones (concurrent ones wait for the first) answer with the first message's
   * ID and add nothing. Returns false when the queue is not a registered FIFO queue.
   */
  private async deduplicate(
    record: CallRecord, input: Record<string, unknown>, body: Buffer, request: http.IncomingMessage, response: http.ServerResponse,
  ): Promise<boolean> {
    const queueName = String(input.QueueUrl ?? '').split('/').pop() ?? '';
    const queue = this.fifoQueues.get(queueName);
    if (!queue) {
      await this.forward(record, body, request, response);
      return true;
    }
    const messageBody = String(input.MessageBody ?? '');
    const dedupId = (input.MessageDeduplicationId as string | undefined)
      ?? (queue.contentBasedDeduplication ? createHash('sha256').update(messageBody, 'utf8').digest('hex') : undefined);
    if (!dedupId) {
      await this.forward(record, body, request, response);
      return true;
    }
    const key = `${queue.name}\u0000${queue.deduplicationScope === 'messageGroup' ? String(input.MessageGroupId ?? '') : ''}\u0000${dedupId}`;
    const now = Date.now();
    const windowMs = this.options.deduplicationWindowMs ?? 300_000;
    const existing = this.dedup.get(key);
    if (existing && now - existing.at < windowMs) {
      const first = await existing.result;
      if (first) {
        record.outcome = 'deduplicated';
        record.status = 200;
        const attributes = input.MessageAttributes as Record<string, MessageAttributeValue> | undefined;
        sendJson(response, request, 200, {
          MessageId: first.MessageId,
          MD5OfMessageBody: md5(messageBody),
          ...(attributes && Object.keys(attributes).length > 0 ? { MD5OfMessageAttributes: messageAttributesMd5(attributes) } : {}),
          ...(first.SequenceNumber ? { SequenceNumber: first.SequenceNumber } : {}),
        });
        return true;
      }
    }
    let settle!: (value: { MessageId: string; SequenceNumber?: string } | undefined) => void;
    this.dedup.set(key, { at: now, result: new Promise((resolve) => (settle = resolve)) });
    try {
      const answer = await this.forward(record, body, request, response);
      if (answer && answer.status === 200) {
        const parsed = JSON.parse(answer.body.toString('utf8')) as { MessageId: string; SequenceNumber?: string };
        settle({ MessageId: parsed.MessageId, SequenceNumber: parsed.SequenceNumber });
      } else {
        this.dedup.delete(key);
        settle(undefined);
      }
    } catch (error) {
      this.dedup.delete(key);
      settle(undefined);
      throw error;
    }
    if (this.dedup.size > 50_000) this.pruneDedup(now - windowMs);
    return true;
  }

  private pruneDedup(before: number): void {
    for (const [key, entry] of this.dedup) if (entry.at < before) this.dedup.delete(key);
  }

  private forward(record: CallRecord, body: Buffer, request: http.IncomingMessage, response: http.ServerResponse): Promise<{ status: number; body: Buffer } | undefined> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { ...request.headers, host: this.target.host };
      // The caller's `Expect: 100-continue` (the S3 client sends it with bodies over 1 MB) was answered
      // here when its request arrived; the body goes upstream whole, with no interim answer to wait for.
      delete headers.expect;
      const upstream = http.request({
        host: this.target.hostname, port: this.target.port, path: request.url, method: request.method, headers, agent: this.agent,
      }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const payload = Buffer.concat(chunks);
          record.status = answer.statusCode;
          if (!response.destroyed) {
            const outHeaders = { ...answer.headers };
            delete outHeaders['transfer-encoding'];
            // A HEAD answer's Content-Length is the object's size (S3's HeadObject), not of the empty payload.
            if (request.method !== 'HEAD' || outHeaders['content-length'] === undefined) outHeaders['content-length'] = String(payload.length);
            response.writeHead(answer.statusCode ?? 502, outHeaders).end(payload);
          }
          resolve({ status: answer.statusCode ?? 502, body: payload });
        });
        answer.on('error', reject);
      });
      upstream.on('error', (error) => {
        record.status = 502;
        if (!response.headersSent) response.destroy();
        reject(error);
      });
      upstream.end(body);
    });
  }
}

function matches(call: CallRecord, filter: CallFilter): boolean {
  if (filter.caller !== undefined && !(typeof filter.caller === 'string' ? call.caller === filter.caller : filter.caller.test(call.caller))) return false;
  if (filter.role !== undefined && call.role !== filter.role) return false;
  if (filter.owner !== undefined && call.owner !== filter.owner) return false;
  if (filter.service !== undefined && call.service !== filter.service) return false;
  if (filter.operation !== undefined && !(typeof filter.operation === 'string' ? call.operation === filter.operation : filter.operation.includes(call.operation))) return false;
  if (filter.resource !== undefined && call.resource !== filter.resource) return false;
  if (filter.outcome !== undefined && !(typeof filter.outcome === 'string' ? call.outcome === filter.outcome : filter.outcome.includes(call.outcome))) return false;
  if (filter.abandoned !== undefined && (call.abandoned === true) !== filter.abandoned) return false;
  return true;
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * Service and operation of a call: `X-Amz-Target` for JSON protocols, S3's REST request line for
 * S3 (see {@link s3Operation}), else `Action=` and the signing scope.
 */
export function identify(request: { headers: http.IncomingHttpHeaders; method?: string; url?: string }, body: Buffer): { service: string; operation: string } {
  const target = request.headers['x-amz-target'];
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(String(request.headers.authorization ?? ''))?.[1];
  if (scope === 's3' && typeof target !== 'string') return { service: 's3', operation: s3Operation(request) };
  if (typeof target === 'string' && target.includes('.')) {
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    return { service: TARGET_SERVICES[prefix] ?? scope ?? prefix.toLowerCase(), operation: target.slice(dot + 1) };
  }
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'))?.[1];
  return { service: scope ?? 'unknown', operation: action ?? 'unknown' };
}

function sendJson(response: http.ServerResponse, request: http.IncomingMessage, status: number, payload: unknown, extra: Record<string, string> = {}): void {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  response.writeHead(status, {
    'content-type': String(request.headers['content-type'] ?? 'application/x-amz-json-1.0'),
    'content-length': String(body.length),
    'x-amzn-requestid': randomUUID(),
    ...extra,
  }).end(body);
}

function sendAwsError(response: http.ServerResponse, request: http.IncomingMessage, service: string, action: { status?: number; code?: string; message?: string }): void {
  const code = action.code ?? DEFAULT_ERROR_CODES[service] ?? 'InternalFailure';
  const status = action.status ?? 500;
  if (service === 's3') {
    sendS3Error(response, request, status, code, action.message ?? `injected fault: ${code}`);
    return;
  }
  sendJson(response, request, status, { __type: code, message: action.message ?? `injected fault: ${code}` }, {
    'x-amzn-errortype': code,
    // SQS's JSON protocol keeps the query-protocol error code here; the SDK reads it.
    ...(service === 'sqs' ? { 'x-amzn-query-error': `${code};${status >= 500 ? 'Receiver' : 'Sender'}` } : {}),
  });
}

function md5(text: string | Buffer): string {
  return createHash('md5').update(text).digest('hex');
}

interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

/** MD5 of message attributes as SQS computes it (names sorted; length-prefixed name, type, value). */
export function messageAttributesMd5(attributes: Record<string, MessageAttributeValue>): string {
  const hash = createHash('md5');
  const field = (value: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(value.length);
    hash.update(length);
    hash.update(value);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name];
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(attribute.DataType, 'utf8'));
    if (attribute.StringValue !== undefined) {
      hash.update(Buffer.from([1]));
      field(Buffer.from(attribute.StringValue, 'utf8'));
    } else if (attribute.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      field(Buffer.from(attribute.BinaryValue, 'base64'));
    }
  }
  return hash.digest('hex');
}

/** A small seeded PRNG (mulberry32), so fractional faults repeat run to run. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An S3 error as S3 answers one: an XML `<Error>` document with `Code` and `Message`, which the SDK
 * reads for the error's name (and retries on 5xx); a HEAD request's answer has no body, as S3's has
 * none, so the SDK names the error from the status alone (404 is `NotFound`).
 */
function sendS3Error(response: http.ServerResponse, request: http.IncomingMessage, status: number, code: string, message: string): void {
  const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = request.method === 'HEAD'
    ? Buffer.alloc(0)
    : Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escape(code)}</Code><Message>${escape(message)}</Message><RequestId>${requestId}</RequestId></Error>`, 'utf8');
  response.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(body.length), 'x-amz-request-id': requestId }).end(body);
}

/** S3 sub-resources that name an operation, in the order they are looked for in the query string. */
const S3_SUBRESOURCES = ['uploadId', 'uploads', 'delete', 'list-type', 'versions', 'location', 'policy', 'encryption', 'versioning', 'lifecycle', 'publicAccessBlock', 'tagging', 'attributes'];

/** `<method> <service|bucket|object>[ <sub-resource>][ copy]` → S3 operation. */
const S3_OPERATIONS: Readonly<Record<string, string>> = {
  'GET service': 'ListBuckets',
  'PUT bucket': 'CreateBucket', 'HEAD bucket': 'HeadBucket', 'DELETE bucket': 'DeleteBucket', 'GET bucket': 'ListObjects',
  'GET bucket list-type': 'ListObjectsV2', 'GET bucket versions': 'ListObjectVersions', 'GET bucket uploads': 'ListMultipartUploads',
  'GET bucket location': 'GetBucketLocation', 'POST bucket delete': 'DeleteObjects',
  'PUT bucket policy': 'PutBucketPolicy', 'GET bucket policy': 'GetBucketPolicy', 'DELETE bucket policy': 'DeleteBucketPolicy',
  'PUT bucket encryption': 'PutBucketEncryption', 'GET bucket encryption': 'GetBucketEncryption',
  'PUT bucket versioning': 'PutBucketVersioning', 'GET bucket versioning': 'GetBucketVersioning',
  'PUT bucket lifecycle': 'PutBucketLifecycleConfiguration', 'GET bucket lifecycle': 'GetBucketLifecycleConfiguration',
  'PUT bucket publicAccessBlock': 'PutPublicAccessBlock', 'GET bucket publicAccessBlock': 'GetPublicAccessBlock',
  'PUT bucket tagging': 'PutBucketTagging', 'GET bucket tagging': 'GetBucketTagging',
  'PUT object': 'PutObject', 'PUT object copy': 'CopyObject', 'GET object': 'GetObject', 'HEAD object': 'HeadObject', 'DELETE object': 'DeleteObject',
  'POST object uploads': 'CreateMultipartUpload', 'PUT object uploadId': 'UploadPart', 'PUT object uploadId copy': 'UploadPartCopy',
  'POST object uploadId': 'CompleteMultipartUpload', 'DELETE object uploadId': 'AbortMultipartUpload', 'GET object uploadId': 'ListParts',
  'PUT object tagging': 'PutObjectTagging', 'GET object tagging': 'GetObjectTagging', 'DELETE object tagging': 'DeleteObjectTagging',
  'GET object attributes': 'GetObjectAttributes',
};

/** Bucket and key of a path-style S3 request (`/<bucket>/<key>`; what the SDK sends to an IP-address endpoint). */
function s3Target(url: string | undefined): { bucket?: string; key?: string; query: URLSearchParams } {
  const parsed = new URL(url ?? '/', 'http://s3.local');
  const [, bucket = '', ...rest] = parsed.pathname.split('/');
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  return {
    ...(bucket ? { bucket: decode(bucket) } : {}),
    ...(rest.length > 0 && rest.join('/') !== '' ? { key: decode(rest.join('/')) } : {}),
    query: parsed.searchParams,
  };
}

/**
 * The S3 operation of a REST request: from the request line (method, bucket, key, sub-resource,
 * a copy source), or the `x-id` the SDK adds to some requests. `unknown` for anything else.
 */
export function s3Operation(request: { headers: http.IncomingHttpHeaders; method?: string; url?: string }): string {
  const { bucket, key, query } = s3Target(request.url);
  const named = query.get('x-id');
  if (named) return named;
  const level = key !== undefined ? 'object' : bucket !== undefined ? 'bucket' : 'service';
  const subresource = S3_SUBRESOURCES.find((name) => query.has(name));
  const copy = request.headers['x-amz-copy-source'] !== undefined ? 'copy' : undefined;
  const signature = [(request.method ?? 'GET').toUpperCase(), level, subresource, copy].filter((part) => part !== undefined).join(' ');
  return S3_OPERATIONS[signature] ?? 'unknown';
}

/** What a fault predicate sees of an S3 call: bucket, key and the write conditions. */
function s3Input(request: http.IncomingMessage): Record<string, unknown> {
  const { bucket, key } = s3Target(request.url);
  const header = (name: string) => (typeof request.headers[name] === 'string' ? request.headers[name] : undefined);
  return {
    ...(bucket !== undefined ? { Bucket: bucket } : {}),
    ...(key !== undefined ? { Key: key } : {}),
    ...(header('if-none-match') !== undefined ? { IfNoneMatch: header('if-none-match') } : {}),
    ...(header('if-match') !== undefined ? { IfMatch: header('if-match') } : {}),
  };
}
