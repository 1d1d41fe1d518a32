import { createHmac } from 'node:crypto';
import { buildSignedRequest } from '../../../../local/cli/send';
import { runEsm } from '../../../support/esm';
import { NOW_MS, URL, acceptedEvent, verifyRequest } from './support';

const SECRET = 'gh-webhook-secret';

function send(overrides: Partial<Parameters<typeof buildSignedRequest>[1]> = {}) {
  return buildSignedRequest('github', { url: URL, secret: SECRET, now: NOW_MS, ...overrides });
}

/** @octokit/webhooks-methods is ESM only: all checks run in one child process. */
function octokitVerifies(checks: readonly { payload: string; signature: string; secret: string }[]): boolean[] {
  return JSON.parse(runEsm(`import { verify } from '@octokit/webhooks-methods';
const out = [];
for (const c of ${JSON.stringify(checks)}) out.push(await verify(c.secret, c.payload, c.signature));
console.log(JSON.stringify(out));`)) as boolean[];
}

describe('send github', () => {
  const push = send();
  const pullRequest = send({ eventType: 'pull_request.closed' });
  const form = send({ eventType: 'issues', options: { contentType: 'form' } });

  test('@octokit/webhooks-methods verify accepts JSON and form deliveries, and refuses another secret', () => {
    const checks = [push, pullRequest, form].map((request) => ({ payload: request.body.toString('utf8'), signature: request.headers['X-Hub-Signature-256'], secret: SECRET }));
    expect(octokitVerifies([...checks, { ...checks[0], secret: 'other' }])).toEqual([true, true, true, false]);
  });

  test('headers are GitHub\'s: event name, delivery GUID, hook ID and target, Hookshot user agent, both signatures', () => {
    expect(push.headers).toMatchObject({
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      'X-GitHub-Hook-ID': expect.stringMatching(/^\d{9}$/),
      'X-GitHub-Hook-Installation-Target-Type': 'repository',
      'User-Agent': expect.stringMatching(/^GitHub-Hookshot\/[0-9a-f]{7}$/),
      'X-Hub-Signature': `sha1=${createHmac('sha1', SECRET).update(push.body).digest('hex')}`,
      'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(push.body).digest('hex')}`,
    });
    expect(JSON.parse(push.body.toString('utf8'))).toMatchObject({ ref: 'refs/heads/main', repository: { full_name: 'acme/api' }, commits: [expect.any(Object)] });
  });

  test('event types: push has no action; pull_request.closed is X-GitHub-Event pull_request with action closed; a form hook is payload=<JSON>', () => {
    expect(acceptedEvent(verifyRequest('github', push, { secrets: [SECRET] }))).toMatchObject({ id: push.eventId, type: 'push', groupKey: 'acme/api' });
    expect(pullRequest.headers['X-GitHub-Event']).toBe('pull_request');
    expect(acceptedEvent(verifyRequest('github', pullRequest, { secrets: [SECRET] }))).toMatchObject({ type: 'pull_request.closed' });
    expect(form.body.toString('utf8')).toMatch(/^payload=%7B/);
    expect(form.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(acceptedEvent(verifyRequest('github', form, { secrets: [SECRET] }))).toMatchObject({ type: 'issues.opened', jsonField: 'payload' });
  });

  test('a given form body is sent with the form content type, and its action read from the payload', () => {
    const given = Buffer.from(`payload=${encodeURIComponent(JSON.stringify({ action: 'labeled', repository: { full_name: 'acme/web' } }))}`, 'utf8');
    const request = send({ eventType: 'issues', body: given });
    expect(request).toMatchObject({ eventType: 'issues.labeled', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(acceptedEvent(verifyRequest('github', request, { secrets: [SECRET] }))).toMatchObject({ id: request.eventId, type: 'issues.labeled', groupKey: 'acme/web' });
  });

  test('a ping carries the hook, with no action', () => {
    const ping = send({ eventType: 'ping' });
    expect(JSON.parse(ping.body.toString('utf8'))).toMatchObject({ zen: expect.any(String), hook: { config: { url: URL, content_type: 'json' } } });
    expect(acceptedEvent(verifyRequest('github', ping, { secrets: [SECRET] })).type).toBe('ping');
  });

  test('legacy sha1 only: accepted where the endpoint allows it, refused as unsigned where it does not', () => {
    const legacy = send({ options: { legacySha1: true } });
    expect(legacy.headers['X-Hub-Signature-256']).toBeUndefined();
    expect(acceptedEvent(verifyRequest('github', legacy, { secrets: [SECRET], schemeOptions: { allowLegacySha1: true } })).id).toBe(legacy.eventId);
    expect(verifyRequest('github', legacy, { secrets: [SECRET], schemeOptions: {} })).toMatchObject({ ok: false, code: 'missing_signature' });
  });

  test('reproduces GitHub\'s documented vector', () => {
    const request = send({ secret: "It's a Secret to Everybody", body: Buffer.from('Hello, World!', 'utf8') });
    expect(request.headers['X-Hub-Signature-256']).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });
});
