import { createHash, createHmac } from 'node:crypto';
import { githubScheme, type GitHubOptions } from '../../../../lambda/verifier/schemes/github';
import { octokitSign, octokitVerify } from '../../../support/esm';
import { context, inbound } from '../../../support/requests';

const SECRET = 'gh-webhook-secret';
const NOW = 1_700_000_000_000;
const body = JSON.stringify({ action: 'opened', repository: { full_name: 'acme/api' }, pull_request: { number: 7 } });

function verify(payload: string | Buffer, headers: Record<string, string>, options: GitHubOptions = {}, secrets = [SECRET]) {
  return githubScheme.verify(inbound({ body: payload, headers: { 'X-GitHub-Delivery': 'd-1', 'X-GitHub-Event': 'pull_request', ...headers } }), context(secrets, NOW), options);
}

const sha256 = (payload: string | Buffer, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;
const sha1 = (payload: string | Buffer, secret = SECRET) => `sha1=${createHmac('sha1', secret).update(payload).digest('hex')}`;

describe('github scheme', () => {
  const [octokitSignature, katSignature] = octokitSign(SECRET, [body]).concat(octokitSign("It's a Secret to Everybody", ['Hello, World!']));

  test('accepts a request signed by @octokit/webhooks-methods and reads delivery, event.action, repository', () => {
    expect(verify(body, { 'X-Hub-Signature-256': octokitSignature })).toMatchObject({
      ok: true,
      event: { id: 'd-1', type: 'pull_request.opened', groupKey: 'acme/api' },
    });
  });

  test('reproduces GitHub\'s documented vector, and octokit agrees', () => {
    expect(katSignature).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    const scheme = githubScheme.verify(
      inbound({ body: 'Hello, World!', headers: { 'X-Hub-Signature-256': katSignature, 'X-GitHub-Delivery': 'd' } }),
      context(["It's a Secret to Everybody"], NOW), {},
    );
    // The KAT body is not JSON: the signature verifies, then the body is refused as malformed (400).
    expect(scheme).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
  });

  test('the event ID and name are unsigned, so the event is claimed under the digest of the body whatever they say', () => {
    const signature = sha256(body);
    const genuine = verify(body, { 'X-Hub-Signature-256': signature });
    const spoofed = verify(body, { 'X-Hub-Signature-256': signature, 'X-GitHub-Event': 'issues', 'X-GitHub-Delivery': 'fresh' });
    const digest = createHash('sha256').update(body).digest('hex');
    expect(genuine).toMatchObject({ ok: true, event: { signedContent: digest } });
    expect(spoofed).toMatchObject({ ok: true, event: { id: 'fresh', type: 'issues.opened', signedContent: digest } });
  });

  test('content_type form (payload=<url-encoded JSON>) is accepted: type, action and group from the payload, json() told where it is', () => {
    // GIVEN the form body GitHub posts for a hook created with the REST API's default content type
    const form = `payload=${encodeURIComponent(body)}`;
    const verdict = verify(form, { 'X-Hub-Signature-256': sha256(form), 'Content-Type': 'application/x-www-form-urlencoded' });
    // THEN it verifies over the exact form bytes and reads the event from the decoded payload
    expect(verdict).toMatchObject({
      ok: true,
      event: { id: 'd-1', type: 'pull_request.opened', groupKey: 'acme/api', jsonField: 'payload', signedContent: createHash('sha256').update(form).digest('hex') },
    });
    // AND octokit agrees on the signature of the form bytes
    expect(octokitVerify(SECRET, form, sha256(form))).toBe(true);
  });

  test('a form with anything but exactly one payload field, or a payload that is not JSON, is 400', () => {
    for (const form of [`payload=${encodeURIComponent(body)}&payload=${encodeURIComponent(body)}`, `payload=${encodeURIComponent(body)}&x=1`, 'payload=not-json', 'payload=']) {
      expect(verify(form, { 'X-Hub-Signature-256': sha256(form) })).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
    }
  });

  test('a JSON body is read as JSON whatever the unsigned Content-Type says', () => {
    expect(verify(body, { 'X-Hub-Signature-256': sha256(body), 'Content-Type': 'application/x-www-form-urlencoded' })).toMatchObject({ ok: true, event: { type: 'pull_request.opened' } });
  });

  test('what we sign by hand, octokit verifies', () => {
    expect(octokitVerify(SECRET, body, sha256(body))).toBe(true);
  });

  test('rejects tampered body, wrong secret, missing and malformed headers', () => {
    expect(verify(body + ' ', { 'X-Hub-Signature-256': sha256(body) })).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, { 'X-Hub-Signature-256': sha256(body, 'other') })).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(body, {})).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
    for (const bad of ['sha256=', 'sha256=abc', `sha1=${'a'.repeat(40)}`, 'a'.repeat(64), `sha256=${'g'.repeat(64)}`]) {
      expect(verify(body, { 'X-Hub-Signature-256': bad })).toMatchObject({ ok: false, code: 'malformed_signature' });
    }
  });

  test('several active secrets: either one verifies', () => {
    expect(verify(body, { 'X-Hub-Signature-256': sha256(body, 'old') }, {}, [SECRET, 'old'])).toMatchObject({ ok: true });
  });

  test('legacy SHA-1 only when opted in, and never when a SHA-256 header is present and wrong', () => {
    expect(verify(body, { 'X-Hub-Signature': sha1(body) })).toMatchObject({ ok: false, code: 'missing_signature' });
    expect(verify(body, { 'X-Hub-Signature': sha1(body) }, { allowLegacySha1: true })).toMatchObject({ ok: true });
    expect(verify(body, { 'X-Hub-Signature': sha1(body), 'X-Hub-Signature-256': sha256(body, 'x') }, { allowLegacySha1: true })).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(githubScheme.requiredHeaders({ allowLegacySha1: true })).toEqual(['X-GitHub-Delivery']);
  });

  test('a verified request without a delivery ID is a 400', () => {
    const verdict = githubScheme.verify(inbound({ body, headers: { 'X-Hub-Signature-256': sha256(body) } }), context([SECRET], NOW), {});
    expect(verdict).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
  });

  test('an event without action is typed by its header alone', () => {
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    expect(verify(ping, { 'X-Hub-Signature-256': sha256(ping), 'X-GitHub-Event': 'ping' })).toMatchObject({ ok: true, event: { type: 'ping' } });
  });
});
