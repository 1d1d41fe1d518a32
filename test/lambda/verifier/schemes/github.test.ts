import { createHash, createHmac } from 'node:crypto';
import { githubScheme, type GitHubOptions } from '../../../../lambda/verifier/schemes/github';
import { octokitSign, octokitVerify } from '../../../support/esm';
import { context, inbound, contentKeyed } from '../../../support/requests';

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
    expect(genuine).toMatchObject({ ok: true, event: { signedContent: contentKeyed(digest) } });
    expect(spoofed).toMatchObject({ ok: true, event: { id: 'fresh', type: 'issues.opened', signedContent: contentKeyed(digest) } });
  });

  test('content_type form (payload=<url-encoded JSON>) is accepted: type, action and group from the payload, json() told where it is', () => {
    // GIVEN the form body GitHub posts for a hook created with the REST API's default content type
    const form = `payload=${encodeURIComponent(body)}`;
    const verdict = verify(form, { 'X-Hub-Signature-256': sha256(form), 'Content-Type': 'application/x-www-form-urlencoded' });
    // THEN it verifies over the exact form bytes and reads the event from the decoded payload
    expect(verdict).toMatchObject({
      ok: true,
      event: { id: 'd-1', type: 'pull_request.opened', groupKey: 'acme/api', jsonField: 'payload', signedContent: contentKeyed(createHash('sha256').update(form).digest('hex')) },
    });
    // AND octokit agrees on the signature of the form bytes
    expect(octokitVerify(SECRET, form, sha256(form))).toBe(true);
  });

  test.each([
    ['two payload fields', `payload=${encodeURIComponent(body)}&payload=${encodeURIComponent(body)}`, 'a form body must carry exactly one "payload" field and nothing else'],
    ['a payload field and another', `payload=${encodeURIComponent(body)}&x=1`, 'a form body must carry exactly one "payload" field and nothing else'],
    ['a payload that is not JSON', 'payload=not-json', 'body is not valid JSON'],
    ['an empty payload', 'payload=', 'body is not valid JSON'],
  ])('a form with %s is a 400 whose detail tells the sender what is wrong', (_case, form, detail) => {
    expect(verify(form, { 'X-Hub-Signature-256': sha256(form) })).toEqual({ ok: false, status: 400, code: 'malformed_body', detail });
  });

  test('a signed body that starts like a form but is not UTF-8 is a 400, not a crash of the form parser', () => {
    // `payload=` makes it a form; the lone 0xff byte makes it undecodable, so it is neither a form nor JSON.
    const form = Buffer.concat([Buffer.from('payload=', 'latin1'), Buffer.from([0xff])]);
    expect(verify(form, { 'X-Hub-Signature-256': sha256(form) }))
      .toEqual({ ok: false, status: 400, code: 'malformed_body', detail: 'body is neither JSON nor a UTF-8 form' });
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
    expect(verdict).toEqual({ ok: false, status: 400, code: 'missing_event_id', detail: 'missing X-GitHub-Delivery header' });
  });

  test('without legacy SHA-1, requiredHeaders are the SHA-256 signature and the delivery ID: the construct makes them required request parameters of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // missing either is refused at the gateway (400) and never invokes the verifier. An empty list would drop that.
    expect(githubScheme.requiredHeaders({})).toEqual(['X-Hub-Signature-256', 'X-GitHub-Delivery']);
  });

  const hex256 = createHmac('sha256', SECRET).update(body).digest('hex');
  const hex1 = createHmac('sha1', SECRET).update(body).digest('hex');
  test.each<[string, Record<string, string>, GitHubOptions, string, string]>([
    ['no signature header', {}, {}, 'missing_signature', 'missing X-Hub-Signature-256 header'],
    // Well-formed hex of the wrong size is malformed, not a mismatch: only a 32-byte digest is a SHA-256 signature.
    ['a SHA-256 digest cut short by one byte', { 'X-Hub-Signature-256': `sha256=${hex256.slice(0, -2)}` }, {}, 'malformed_signature', 'signature is not sha256=<hex>'],
    ['a SHA-256 digest one byte too long', { 'X-Hub-Signature-256': `sha256=${hex256}00` }, {}, 'malformed_signature', 'signature is not sha256=<hex>'],
    ['a legacy SHA-1 digest cut short by one byte', { 'X-Hub-Signature': `sha1=${hex1.slice(0, -2)}` }, { allowLegacySha1: true }, 'malformed_signature', 'signature is not sha1=<hex>'],
    ['a digest made with another secret', { 'X-Hub-Signature-256': sha256(body, 'other') }, {}, 'bad_signature', 'signature does not match'],
  ])('%s is a 401 whose detail names the problem', (_case, headers, options, code, detail) => {
    expect(verify(body, headers, options)).toEqual({ ok: false, status: 401, code, detail });
  });

  test('an organization event without a repository is grouped by the organization login; a repository wins when both are present', () => {
    const orgEvent = JSON.stringify({ action: 'member_added', organization: { login: 'acme' } });
    expect(verify(orgEvent, { 'X-Hub-Signature-256': sha256(orgEvent), 'X-GitHub-Event': 'organization' }))
      .toMatchObject({ ok: true, event: { type: 'organization.member_added', groupKey: 'acme' } });
    const both = JSON.stringify({ action: 'opened', repository: { full_name: 'acme/api' }, organization: { login: 'acme' } });
    expect(verify(both, { 'X-Hub-Signature-256': sha256(both) })).toMatchObject({ ok: true, event: { groupKey: 'acme/api' } });
  });

  test('an event without action is typed by its header alone', () => {
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    expect(verify(ping, { 'X-Hub-Signature-256': sha256(ping), 'X-GitHub-Event': 'ping' })).toMatchObject({ ok: true, event: { type: 'ping' } });
  });
});
