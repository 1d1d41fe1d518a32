/** The harness's side of the wire: sending requests to the local endpoint, and waiting until it is idle. */
import * as http from 'node:http';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RestApiEmulator } from '../api-gateway';
import type { HarnessProcessor, HarnessRequest, HarnessResponse } from './types';

export async function waitForIdle(api: RestApiEmulator, processors: readonly HarnessProcessor[], sqs: SQSClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const polled = processors.filter((processor) => processor.poller);
  let quiet = 0;
  let last: string;
  // Wake idle pollers once; after that they poll on their own back-off (waking them on every check
  // would turn each check into a ReceiveMessage per poller, a scan of the queue in moto).
  for (const processor of polled) processor.poller?.nudge();
  while (true) {
    const busy = api.inFlight > 0 || polled.some((processor) => (processor.poller?.inFlight ?? 0) > 0);
    let waiting = 0;
    if (!busy) {
      const depths = await Promise.all(polled.map(async (processor) => {
        const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({
          QueueUrl: processor.queue.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }));
        const depth = Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
        return `${processor.name}=${depth}`;
      }));
      last = depths.join(', ');
      waiting = depths.reduce((sum, entry) => sum + Number(entry.split('=')[1]), 0);
    } else {
      last = `requests in flight: ${api.inFlight}; invocations: ${polled.map((processor) => `${processor.name}=${processor.poller?.inFlight ?? 0}`).join(', ')}`;
    }
    quiet = !busy && waiting === 0 ? quiet + 1 : 0;
    if (quiet >= 2) return;
    if (Date.now() > deadline) {
      throw new Error(`the harness is not idle after ${timeoutMs} ms (${last}). Messages that failed wait for the queue's VisibilityTimeout before they are retried.`);
    }
    await new Promise((resolve) => setTimeout(resolve, quiet > 0 ? 50 : 150));
  }
}

/** Sends one request with exact header names and repeated headers, over a keep-alive agent. */
export function send(agent: http.Agent, url: string, request: HarnessRequest): Promise<HarnessResponse> {
  const target = new URL(url);
  if (typeof request.query === 'string') target.search = request.query;
  else if (request.query) {
    // Percent-encoding (a space is %20, not '+'), as HTTP clients such as fetch and curl send it.
    target.search = Object.entries(request.query)
      .flatMap(([name, value]) => (Array.isArray(value) ? value : [value as string]).map((item) => `${encodeURIComponent(name)}=${encodeURIComponent(item)}`))
      .join('&');
  }
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const raw: string[] = [];
  const headerPairs: Array<readonly [string, string]> = Array.isArray(request.headers)
    ? request.headers as Array<readonly [string, string]>
    : Object.entries((request.headers ?? {}) as Record<string, string | readonly string[]>).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value] as const] : value.map((item) => [name, item] as const)));
  for (const [name, value] of headerPairs) raw.push(name, value);
  if (!headerPairs.some(([name]) => name.toLowerCase() === 'host')) raw.push('Host', target.host);
  if (!headerPairs.some(([name]) => name.toLowerCase() === 'content-length')) raw.push('Content-Length', String(body.length));
  return new Promise((resolve, reject) => {
    const outgoing = http.request({
      host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: request.method ?? 'POST', agent, headers: raw as unknown as http.OutgoingHttpHeaders,
    }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: text, json: <T>() => JSON.parse(text) as T });
      });
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
