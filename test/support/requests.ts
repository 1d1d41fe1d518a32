import type { APIGatewayProxyEvent } from 'aws-lambda';
import { toInboundRequest } from '../../lambda/verifier/http';
import type { InboundRequest, VerificationContext } from '../../lambda/verifier/schemes/types';

export interface RequestSpec {
  readonly body: string | Buffer;
  readonly headers?: Record<string, string | string[]>;
  readonly path?: string;
  readonly domainName?: string;
  readonly stage?: string;
  readonly query?: Record<string, string | string[]>;
  /** Send the body as API Gateway does for binary media types (the default, as deployed). */
  readonly base64?: boolean;
}

/** An API Gateway REST proxy event as the deployed stage builds it (`*\/*` binary media type). */
export function apiGatewayEvent(spec: RequestSpec): APIGatewayProxyEvent {
  const body = Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body, 'utf8');
  const base64 = spec.base64 ?? true;
  const multiValueHeaders: Record<string, string[]> = {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    multiValueHeaders[name] = values;
    headers[name] = values[values.length - 1];
  }
  const multiQuery: Record<string, string[]> = {};
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.query ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    multiQuery[name] = values;
    query[name] = values[values.length - 1];
  }
  const stage = spec.stage ?? 'prod';
  const path = spec.path ?? '/webhook';
  const hasQuery = Object.keys(query).length > 0;
  return {
    body: base64 ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: base64,
    headers,
    multiValueHeaders,
    httpMethod: 'POST',
    path,
    pathParameters: null,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    stageVariables: null,
    resource: path,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: spec.domainName ?? 'abc123.execute-api.us-east-1.amazonaws.com',
      httpMethod: 'POST',
      path: `/${stage}${path}`,
      protocol: 'HTTP/1.1',
      requestId: 'req-1',
      requestTimeEpoch: 0,
      resourceId: 'res',
      resourcePath: path,
      stage,
      identity: { sourceIp: '203.0.113.7' },
    },
  } as unknown as APIGatewayProxyEvent;
}

/** The request a scheme sees for the given spec. */
export function inbound(spec: RequestSpec, publicUrl?: string): InboundRequest {
  return toInboundRequest(apiGatewayEvent(spec), publicUrl);
}

export function context(secrets: readonly string[], nowMs: number, toleranceSeconds = 300): VerificationContext {
  return { secrets, nowMs, toleranceSeconds };
}

/** Matches a verdict's `signedContent` by the key it is claimed under. */
export function contentKeyed(key: string | undefined): unknown {
  return expect.objectContaining({ key });
}
