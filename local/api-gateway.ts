import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { LAMBDA_SYNC_REQUEST_LIMIT_BYTES, invocationPayloadBytes, type InvokeOutcome, type LambdaFunctionHost } from './lambda';

/** One method of the REST API with a Lambda proxy integration. */
export interface RestApiRoute {
  /** HTTP method, or `ANY`. */
  readonly method: string;
  /** Resource path as declared, e.g. `/webhook` or `/items/{id}`. */
  readonly resourcePath: string;
  readonly resourceId: string;
  readonly fn: LambdaFunctionHost;
  /** Headers the method requires (RequestParameters `method.request.header.X: true`). */
  readonly requiredHeaders: readonly string[];
  /** Query string parameters the method requires. */
  readonly requiredQueryParameters: readonly string[];
  /** Whether the method's request validator checks request parameters. */
  readonly validateRequestParameters: boolean;
  /** Integration timeout (TimeoutInMillis, default 29 s). */
  readonly integrationTimeoutMs: number;
}

/** A GatewayResponse of the API (or the default one of its type). */
export interface GatewayResponseDefinition {
  readonly statusCode: number;
  /** Content type → mapping template. */
  readonly templates: Readonly<Record<string, string>>;
  /** Static response headers. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Configuration of {@link RestApiEmulator}. */
export interface RestApiEmulatorConfig {
  readonly apiId: string;
  readonly stage: string;
  readonly region: string;
  readonly accountId: string;
  readonly routes: readonly RestApiRoute[];
  /** GatewayResponse resources of the API, by ResponseType. */
  readonly gatewayResponses: ReadonlyMap<string, GatewayResponseDefinition>;
  readonly binaryMediaTypes: readonly string[];
  /** Domain name reported in the event. @default `<apiId>.execute-api.<region>.amazonaws.com` */
  readonly domainName?: string;
  /** Stage throttling to enforce (token bucket); off unless given. */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

/** One request that reached a function, kept for inspection. */
export interface InvocationRecord {
  readonly event: APIGatewayProxyEvent;
  readonly outcome: InvokeOutcome['kind'];
  readonly status: number;
  readonly durationMs: number;
}

/** Counters of the API. */
export interface RestApiStats {
  requests: number;
  /** Requests handed to a function. */
  invocations: number;
  /** Requests the request validator refused (400) without invoking the function. */
  validationRejections: number;
  throttled: number;
  /** Requests whose body was over API Gateway's 10 MB payload limit (413, function not invoked). */
  bodiesTooLarge: number;
  /** Requests whose proxy event was over Lambda's synchronous payload limit (413, function not invoked). */
  eventsTooLarge: number;
  /** Responses per HTTP status. */
  readonly statuses: Record<number, number>;
  /** Time from the request's arrival to the response, per request that reached a function, in ms. */
  readonly latenciesMs: number[];
}

/**
 * API Gateway's REST API payload limit, on the request body: "Payload size: 10 MB", not adjustable
 * (API Gateway developer guide, "Amazon API Gateway quotas", quotas for REST APIs). A deployed REST
 * API states it in bytes when it refuses one: "HTTP content length exceeded 10485760 bytes."
 * (koki-develop/lgtm-generator#10, 2021). A body of exactly this many bytes is within it.
 *
 * How it is refused is less certain. The harness answers with the REQUEST_TOO_LARGE gateway
 * response (413; the API's own one if it defines one, as the construct does), as the construct's
 * tests expect. The one captured answer above was a 413 in plain text (`content-type: text`,
 * that sentence as the body, no `x-amzn-ErrorType`), from an edge-optimized API, and its author
 * reports that a REQUEST_TOO_LARGE gateway response did not change it: on AWS the template's
 * response may only ever apply to the Lambda limit below.
 */
export const API_GATEWAY_PAYLOAD_LIMIT_BYTES = 10_485_760;

const DEFAULT_RESPONSES: Record<string, { status: number; message: string; errorType: string }> = {
  BAD_REQUEST_PARAMETERS: { status: 400, message: 'Missing required request parameters', errorType: 'BadRequestException' },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token', errorType: 'MissingAuthenticationTokenException' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long', errorType: 'RequestTooLargeException' },
  THROTTLED: { status: 429, message: 'Too Many Requests', errorType: 'TooManyRequestsException' },
  INTEGRATION_FAILURE: { status: 502, message: 'Internal server error', errorType: 'InternalServerErrorException' },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out', errorType: 'InternalServerErrorException' },
};

const DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

/**
 * What the sender gets when the proxy event is over Lambda's synchronous payload limit
 * ({@link LAMBDA_SYNC_REQUEST_LIMIT_BYTES}; with binaryMediaTypes `*\/*` every body is base64, so a
 * body over about 4.5 MiB cannot fit): a 413 `{"message": "Request Too Long"}` with
 * `x-amzn-ErrorType: BadRequestException` — REQUEST_TOO_LARGE's message and status, so the API's
 * REQUEST_TOO_LARGE gateway response renders it. Sources, none of them AWS documentation of this
 * case: a deployed REST API captured answering exactly that for an event over Lambda's limit, next
 * to its different answer for a body over 10 MB (koki-develop/lgtm-generator#10, 2021); "when
 * request payload is larger than allowed size, you will get a 413" through API Gateway
 * (jun711.github.io, "Handling AWS Lambda Payload Limit", 2019). Against them: the Lambda developer
 * guide ("Handling Lambda errors with an API Gateway API") says API Gateway answers 500 when "the
 * Lambda API rejects the invocation request" and 502 only for function errors and malformed
 * results, both `{"message": "Internal server error"}`. No source found shows a 502 for it.
 */
const EVENT_TOO_LARGE = { responseType: 'REQUEST_TOO_LARGE', errorType: 'BadRequestException' } as const;

/**
 * An HTTP server on loopback that behaves like a deployed API Gateway REST API stage with Lambda
 * proxy integrations: it routes `/<stage>/<resource path>`, runs the request validator (required
 * headers and query parameters → 400 gateway response, function not invoked), builds the REST
 * proxy event (headers and multiValueHeaders as sent, query parameters single and multi, body
 * base64-encoded when the Content-Type matches a binary media type, requestContext with domain,
 * stage path, request ID and source IP), invokes the function and maps its result to the HTTP
 * response. Function errors, timeouts and malformed results become 502 `Internal server error`;
 * an invocation longer than the integration timeout becomes 504 `Endpoint request timed out`.
 * Size limits as AWS applies them: a body over 10 MB is refused before anything else
 * ({@link API_GATEWAY_PAYLOAD_LIMIT_BYTES}), and a request whose proxy event is over Lambda's
 * synchronous payload limit never reaches the function (see EVENT_TOO_LARGE).
 */
export class RestApiEmulator {
  public readonly stats: RestApiStats = {
    requests: 0, invocations: 0, validationRejections: 0, throttled: 0, bodiesTooLarge: 0, eventsTooLarge: 0, statuses: {}, latenciesMs: [],
  };
  /** The last requests that reached a function (at most 200). */
  public readonly recent: InvocationRecord[] = [];
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private baseUrl = '';
  private running = 0;
  private readonly deploymentId = randomId(6);
  private tokens: number;
  private lastRefill = Date.now();

  public constructor(public readonly config: RestApiEmulatorConfig) {
    this.tokens = config.throttle?.burstLimit ?? 0;
  }

  /** `http://127.0.0.1:<port>` once started. */
  public get origin(): string {
    return this.baseUrl;
  }

  /** The local URL of a resource path on the stage, e.g. `url('/webhook')`. */
  public url(resourcePath: string): string {
    return `${this.baseUrl}/${this.config.stage}${resourcePath.startsWith('/') ? '' : '/'}${resourcePath}`;
  }

  /**
   * The URL a resource path has on the deployed stage (`https://<apiId>.execute-api.<region>.amazonaws.com/<stage>/…`,
   * or the configured domain): what the events report, so what a sender that signs its URL must sign.
   */
  public deployedUrl(resourcePath: string): string {
    return `https://${this.domainName}/${this.config.stage}${resourcePath.startsWith('/') ? '' : '/'}${resourcePath}`;
  }

  private get domainName(): string {
    return this.config.domainName ?? `${this.config.apiId}.execute-api.${this.config.region}.amazonaws.com`;
  }

  /** Requests being handled now. */
  public get inFlight(): number {
    return this.running;
  }

  /** Listens on 127.0.0.1 (port 0 picks a free port). */
  public async start(port = 0): Promise<string> {
    const server = http.createServer({ keepAlive: true, requestTimeout: 0 });
    // Idle keep-alive sockets stay open until stop() destroys them. With Node's default 5 s timeout
    // the server closes a socket the client's agent still holds as free; a request written to it as
    // the close arrives fails with ECONNRESET — a test of one harness idle while others run did.
    server.keepAliveTimeout = 0;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (request, response) => {
      this.running++;
      void this.handle(request, response)
        .catch((error: unknown) => {
          if (!response.headersSent) this.send(response, 500, { 'content-type': 'text/plain' }, Buffer.from(String(error)));
        })
        .finally(() => this.running--);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  public async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const arrived = Date.now();
    this.stats.requests++;
    const requestId = randomUUID();
    const body = await readLimited(request, API_GATEWAY_PAYLOAD_LIMIT_BYTES);
    if (body === undefined) {
      this.stats.bodiesTooLarge++;
      response.shouldKeepAlive = false; // answer with Connection: close, so the client does not reuse the socket
      this.gatewayResponse(response, 'REQUEST_TOO_LARGE', requestId);
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const stagePrefix = `/${this.config.stage}`;
    const method = (request.method ?? 'GET').toUpperCase();
    const resourcePathActual = url.pathname === stagePrefix ? '/' : url.pathname.startsWith(`${stagePrefix}/`) ? url.pathname.slice(stagePrefix.length) : undefined;
    const match = resourcePathActual === undefined ? undefined : this.match(method, resourcePathActual);
    if (!match || resourcePathActual === undefined) {
      this.gatewayResponse(response, 'MISSING_AUTHENTICATION_TOKEN', requestId);
      return;
    }
    if (!this.takeToken()) {
      this.stats.throttled++;
      this.gatewayResponse(response, 'THROTTLED', requestId);
      return;
    }
    const { route, pathParameters } = match;
    const rawHeaders = pairs(request.rawHeaders);
    const query = parseQuery(url.search);

    if (route.validateRequestParameters) {
      const present = (name: string) => rawHeaders.some(([key, value]) => key.toLowerCase() === name.toLowerCase() && value.trim() !== '');
      const missing = [
        ...route.requiredQueryParameters.filter((name) => !(query.get(name) ?? []).some((value) => value.trim() !== '')),
        ...route.requiredHeaders.filter((name) => !present(name)),
      ];
      if (missing.length > 0) {
        this.stats.validationRejections++;
        this.gatewayResponse(response, 'BAD_REQUEST_PARAMETERS', requestId, `Missing required request parameters: [${missing.join(', ')}]`);
        return;
      }
    }

    const event = this.event(request, route, resourcePathActual, pathParameters, rawHeaders, query, body, requestId, arrived);
    if (invocationPayloadBytes(event) > LAMBDA_SYNC_REQUEST_LIMIT_BYTES) {
      // Lambda refuses the invocation; the function never runs. See EVENT_TOO_LARGE for the answer.
      this.stats.eventsTooLarge++;
      this.gatewayResponse(response, EVENT_TOO_LARGE.responseType, requestId, undefined, EVENT_TOO_LARGE.errorType);
      return;
    }
    this.stats.invocations++;
    let timer: NodeJS.Timeout | undefined;
    const integrationTimeout = new Promise<'integration-timeout'>((resolve) => {
      timer = setTimeout(() => resolve('integration-timeout'), route.integrationTimeoutMs);
    });
    const outcome = await Promise.race([route.fn.invoke(event), integrationTimeout]);
    clearTimeout(timer);
    let status: number;
    if (outcome === 'integration-timeout') {
      status = this.gatewayResponse(response, 'INTEGRATION_TIMEOUT', requestId);
    } else {
      const mapped = outcome.kind === 'result' ? toHttpResponse(outcome.value) : undefined;
      if (!mapped) {
        status = this.gatewayResponse(response, 'INTEGRATION_FAILURE', requestId);
      } else {
        status = mapped.status;
        this.send(response, mapped.status, { ...mapped.headers, 'x-amzn-RequestId': requestId, 'x-amz-apigw-id': randomId(16), 'X-Amzn-Trace-Id': traceId() }, mapped.body);
      }
    }
    this.stats.latenciesMs.push(Date.now() - arrived);
    this.recent.push({ event, outcome: outcome === 'integration-timeout' ? 'timeout' : outcome.kind, status, durationMs: Date.now() - arrived });
    if (this.recent.length > 200) this.recent.shift();
  }

  private match(method: string, actualPath: string): { route: RestApiRoute; pathParameters: Record<string, string> | null } | undefined {
    const actual = actualPath.split('/').filter(Boolean);
    const candidates = this.config.routes.filter((route) => route.method === method || route.method === 'ANY');
    // Exact methods win over ANY, literal segments over parameters (as API Gateway resolves them).
    candidates.sort((a, b) => Number(a.method === 'ANY') - Number(b.method === 'ANY'));
    for (const route of candidates) {
      const declared = route.resourcePath.split('/').filter(Boolean);
      const parameters: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < declared.length && ok; i++) {
        const segment = declared[i];
        const greedy = /^\{(.+)\+\}$/.exec(segment);
        if (greedy) {
          if (actual.length <= i) ok = false;
          else parameters[greedy[1]] = actual.slice(i).map(decodeURIComponent).join('/');
          if (ok) return { route, pathParameters: parameters };
        }
        const parameter = /^\{(.+)\}$/.exec(segment);
        if (i >= actual.length) ok = false;
        else if (parameter) parameters[parameter[1]] = decodeURIComponent(actual[i]);
        else if (segment !== actual[i]) ok = false;
      }
      if (ok && declared.length === actual.length) return { route, pathParameters: Object.keys(parameters).length > 0 ? parameters : null };
    }
    return undefined;
  }

  private takeToken(): boolean {
    const throttle = this.config.throttle;
    if (!throttle) return true;
    const now = Date.now();
    this.tokens = Math.min(throttle.burstLimit, this.tokens + ((now - this.lastRefill) / 1000) * throttle.rateLimit);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** The REST API (v1) Lambda proxy event for a request, as the deployed stage builds it. */
  private event(
    request: http.IncomingMessage, route: RestApiRoute, path: string, pathParameters: Record<string, string> | null,
    rawHeaders: Array<[string, string]>, query: Map<string, string[]>, body: Buffer, requestId: string, arrived: number,
  ): APIGatewayProxyEvent {
    const domainName = this.domainName;
    const sourceIp = (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const forwardedFor = rawHeaders.find(([name]) => name.toLowerCase() === 'x-forwarded-for')?.[1];
    const sent: Array<[string, string]> = rawHeaders
      .filter(([name]) => !['connection', 'keep-alive', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto'].includes(name.toLowerCase()))
      .map(([name, value]) => (name.toLowerCase() === 'host' ? [name, domainName] : [name, value]));
    if (!sent.some(([name]) => name.toLowerCase() === 'host')) sent.push(['Host', domainName]);
    sent.push(
      ['X-Amzn-Trace-Id', traceId()],
      ['X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${sourceIp}` : sourceIp],
      ['X-Forwarded-Port', '443'],
      ['X-Forwarded-Proto', 'https'],
    );
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (const [name, value] of sent) {
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const hasQuery = query.size > 0;
    const queryStringParameters: Record<string, string> = {};
    const multiValueQueryStringParameters: Record<string, string[]> = {};
    for (const [name, values] of query) {
      queryStringParameters[name] = values[values.length - 1];
      multiValueQueryStringParameters[name] = values;
    }
    const contentType = headers[Object.keys(headers).find((name) => name.toLowerCase() === 'content-type') ?? ''];
    const binary = this.isBinary(contentType);
    const userAgent = rawHeaders.find(([name]) => name.toLowerCase() === 'user-agent')?.[1] ?? null;
    const method = (request.method ?? 'GET').toUpperCase();
    return {
      resource: route.resourcePath,
      path,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: hasQuery ? queryStringParameters : null,
      multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
      pathParameters,
      stageVariables: null,
      requestContext: {
        resourceId: route.resourceId,
        resourcePath: route.resourcePath,
        httpMethod: method,
        extendedRequestId: `${randomId(14)}=`,
        requestTime: formatRequestTime(arrived),
        path: `/${this.config.stage}${path}`,
        accountId: this.config.accountId,
        protocol: `HTTP/${request.httpVersion}`,
        stage: this.config.stage,
        domainPrefix: domainName.split('.')[0],
        requestTimeEpoch: arrived,
        requestId,
        identity: {
          cognitoIdentityPoolId: null, accountId: null, cognitoIdentityId: null, caller: null, sourceIp, principalOrgId: null, accessKey: null,
          cognitoAuthenticationType: null, cognitoAuthenticationProvider: null, userArn: null, userAgent, user: null, apiKey: null, apiKeyId: null, clientCert: null,
        },
        domainName,
        deploymentId: this.deploymentId,
        apiId: this.config.apiId,
        authorizer: null,
      },
      // API Gateway passes no body as null; a body whose Content-Type matches a binary media type
      // (`*/*` matches every request) arrives base64-encoded.
      body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
      isBase64Encoded: body.length > 0 && binary,
    } as unknown as APIGatewayProxyEvent;
  }

  private isBinary(contentType: string | undefined): boolean {
    const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
    return this.config.binaryMediaTypes.some((pattern) => {
      const wanted = pattern.toLowerCase();
      if (wanted === '*/*') return true;
      if (!type) return false;
      if (wanted.endsWith('/*')) return type.startsWith(wanted.slice(0, -1));
      return wanted === type;
    });
  }

  /** Answers with a gateway response of a type: the API's GatewayResponse if it has one, else the default. */
  private gatewayResponse(response: http.ServerResponse, type: string, requestId: string, detail?: string, errorType?: string): number {
    const fallback = DEFAULT_RESPONSES[type];
    const message = detail ?? fallback.message;
    const custom = this.config.gatewayResponses.get(type)
      ?? (fallback.status >= 500 ? this.config.gatewayResponses.get('DEFAULT_5XX') : this.config.gatewayResponses.get('DEFAULT_4XX'));
    const template = custom?.templates['application/json'] ?? Object.values(custom?.templates ?? {})[0] ?? DEFAULT_TEMPLATE;
    const rendered = renderGatewayTemplate(template, { message, validationErrorString: type === 'BAD_REQUEST_PARAMETERS' ? message : '', requestId, responseType: type });
    const status = custom && this.config.gatewayResponses.get(type) ? custom.statusCode : fallback.status;
    this.send(response, status, {
      'content-type': 'application/json',
      ...custom?.headers,
      'x-amzn-RequestId': requestId,
      'x-amzn-ErrorType': errorType ?? fallback.errorType,
      'x-amz-apigw-id': randomId(16),
    }, Buffer.from(rendered, 'utf8'));
    return status;
  }

  private send(response: http.ServerResponse, status: number, headers: Record<string, string | string[]>, body: Buffer): void {
    this.stats.statuses[status] = (this.stats.statuses[status] ?? 0) + 1;
    if (response.destroyed) return;
    response.writeHead(status, { ...headers, 'content-length': String(body.length) });
    response.end(body);
  }
}

/**
 * Renders a gateway response mapping template the way API Gateway does for the variables the
 * construct uses. Note `$context.error.messageString` is the message *with* surrounding quotes.
 */
export function renderGatewayTemplate(template: string, values: { message: string; validationErrorString: string; requestId: string; responseType: string }): string {
  return template
    .replace(/\$context\.error\.messageString/g, JSON.stringify(values.message))
    .replace(/\$context\.error\.validationErrorString/g, values.validationErrorString)
    .replace(/\$context\.error\.message/g, values.message)
    .replace(/\$context\.error\.responseType/g, values.responseType)
    .replace(/\$context\.requestId/g, values.requestId);
}

/** Maps a Lambda proxy result to an HTTP response; `undefined` when API Gateway would call it malformed (502). */
export function toHttpResponse(value: unknown): { status: number; headers: Record<string, string | string[]>; body: Buffer } | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const result = value as Record<string, unknown>;
  const status = typeof result.statusCode === 'string' ? Number(result.statusCode) : result.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return undefined;
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') return undefined;
  const headers: Record<string, string | string[]> = {};
  const add = (name: string, item: unknown) => {
    const text = String(item);
    const key = Object.keys(headers).find((existing) => existing.toLowerCase() === name.toLowerCase()) ?? name;
    const existing = headers[key];
    headers[key] = existing === undefined ? text : Array.isArray(existing) ? [...existing, text] : [existing, text];
  };
  for (const [name, item] of Object.entries((result.multiValueHeaders ?? {}) as Record<string, unknown[]>)) for (const entry of item ?? []) add(name, entry);
  for (const [name, item] of Object.entries((result.headers ?? {}) as Record<string, unknown>)) {
    const key = Object.keys(headers).find((existing) => existing.toLowerCase() === name.toLowerCase());
    if (key === undefined) add(name, item);
  }
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  const text = (result.body as string | undefined) ?? '';
  const body = result.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { status, headers, body };
}

function readLimited(request: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function pairs(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

/** Query parameters in order, percent-decoded (API Gateway does not turn `+` into a space). */
function parseQuery(search: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const text = search.startsWith('?') ? search.slice(1) : search;
  if (!text) return out;
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    const values = out.get(name);
    if (values) values.push(value);
    else out.set(name, [value]);
  }
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `28/Nov/2026:17:23:30 +0000`, as `requestContext.requestTime`. */
function formatRequestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

function traceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

function randomId(length: number): string {
  return randomBytes(length).toString('base64url').replace(/[-_]/g, 'a').slice(0, length);
}

/** A stable 6-character resource ID for a template resource (API Gateway resource IDs look like this). */
export function resourceIdFor(logicalId: string): string {
  return createHash('sha256').update(logicalId).digest('hex').slice(0, 6);
}
