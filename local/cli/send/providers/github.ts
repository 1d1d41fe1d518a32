import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { describeRequest } from '../support/describe';
import { FORM_CONTENT_TYPE, JSON_CONTENT_TYPE } from '../support/headers';
import { jsonBytes, parseJson, readField } from '../support/json';
import { hmac } from '../support/mac';
import type { Random } from '../support/random';

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>` (and, for hooks with a secret, the legacy
 * `X-Hub-Signature: sha1=<hex>` beside it), HMAC over the raw body. Nothing else is signed: the
 * delivery GUID, the event name and the hook ID travel in plain headers.
 */
export const githubSender: ProviderSender = {
  id: 'github',
  options: ['legacySha1', 'contentType'],
  name: 'GitHub',
  defaultEventType: 'push',
  exampleEventTypes: ['push', 'ping', 'pull_request.opened', 'pull_request.closed', 'issues.opened', 'release.published'],
  signsTimestamp: () => false,
  build(context: BuildContext): BuiltRequest {
    const { input, options, random } = context;
    // `pull_request.opened`: the header names the event, the body's `action` the rest.
    const [eventName, action] = splitEventType(context.eventType);
    const body = input.body ?? encodeBody(jsonBytes(payload(eventName, action, context)), options.contentType === 'form');
    // A given body says itself which content type it is, as it does to the endpoint.
    const form = isForm(body);
    const delivery = input.eventId ?? random.uuid();
    const bodyAction = readField(readPayload(body), 'action');
    const eventType = bodyAction ? `${eventName}.${bodyAction}` : eventName;
    return {
      headers: {
        'Content-Type': form ? FORM_CONTENT_TYPE : JSON_CONTENT_TYPE,
        'User-Agent': `GitHub-Hookshot/${random.hex(7)}`,
        Accept: '*/*',
        'X-GitHub-Event': eventName,
        'X-GitHub-Delivery': delivery,
        'X-GitHub-Hook-ID': random.digits(9),
        'X-GitHub-Hook-Installation-Target-Type': 'repository',
        'X-GitHub-Hook-Installation-Target-ID': random.digits(9),
        ...signatureHeaders(input.secret, body, options.legacySha1 === true),
      },
      body,
      eventId: delivery,
      eventType,
      description: describeRequest('GitHub', eventType, delivery, options.legacySha1 ? 'X-Hub-Signature sha1 only (legacy), HMAC over the body' : 'X-Hub-Signature-256 (and legacy X-Hub-Signature), HMAC over the body'),
    };
  },
};

function signatureHeaders(secret: string, body: Buffer, legacyOnly: boolean): Record<string, string> {
  const sha1 = { 'X-Hub-Signature': `sha1=${hmac('sha1', secret, body).toString('hex')}` };
  return legacyOnly ? sha1 : { ...sha1, 'X-Hub-Signature-256': `sha256=${hmac('sha256', secret, body).toString('hex')}` };
}

function splitEventType(eventType: string): [string, string | undefined] {
  const dot = eventType.indexOf('.');
  return dot < 0 ? [eventType, undefined] : [eventType.slice(0, dot), eventType.slice(dot + 1)];
}

/** A `form` hook posts `payload=<url-encoded JSON>`. */
function encodeBody(json: Buffer, form: boolean): Buffer {
  return form ? Buffer.from(new URLSearchParams({ payload: json.toString('utf8') }).toString(), 'utf8') : json;
}

const FORM_PREFIX = Buffer.from('payload=', 'latin1');

/** As the endpoint decides it: a body starting `payload=` is a form hook's. */
function isForm(body: Buffer): boolean {
  return body.subarray(0, FORM_PREFIX.length).equals(FORM_PREFIX);
}

/** The JSON event of a JSON or form body, to read its `action`. */
function readPayload(body: Buffer): unknown {
  return isForm(body) ? parseJson(Buffer.from(new URLSearchParams(body.toString('utf8')).get('payload') ?? '', 'utf8')) : parseJson(body);
}

/** Events without an action name default to the common one. */
const DEFAULT_ACTIONS: Readonly<Record<string, string>> = { pull_request: 'opened', issues: 'opened', release: 'published' };

function payload(eventName: string, requestedAction: string | undefined, context: BuildContext): Record<string, unknown> {
  const { random, at } = context;
  const repository = repositoryOf(random);
  const sender = user('octocat', random);
  const action = requestedAction ?? DEFAULT_ACTIONS[eventName];
  switch (eventName) {
    case 'push': return pushEvent(repository, sender, random, at.iso);
    case 'ping': return pingEvent(repository, sender, random, context.url);
    case 'pull_request': {
      const number = random.integer(1, 999);
      const pullRequest = {
        id: Number(random.digits(10)), number, state: action === 'closed' ? 'closed' : 'open', title: 'Add retry to the payment worker',
        user: sender, body: null, created_at: at.iso, updated_at: at.iso, merged: false, draft: false,
        head: { ref: 'retry-payments', sha: random.hex(40) }, base: { ref: 'main', sha: random.hex(40) },
        html_url: `${repository.html_url}/pull/${number}`,
      };
      return { action, number, pull_request: pullRequest, repository, sender };
    }
    case 'issues': {
      const number = random.integer(1, 999);
      const issue = { id: Number(random.digits(10)), number, title: 'Payment worker times out', state: action === 'closed' ? 'closed' : 'open', user: sender, labels: [], created_at: at.iso, updated_at: at.iso, html_url: `${repository.html_url}/issues/${number}` };
      return { action, issue, repository, sender };
    }
    default:
      return { ...(action ? { action } : {}), repository, sender };
  }
}

function pushEvent(repository: Repository, sender: Record<string, unknown>, random: Random, timestamp: string): Record<string, unknown> {
  const before = random.hex(40);
  const after = random.hex(40);
  const author = { name: 'Mona Octocat', email: 'mona@example.com', username: 'octocat' };
  const commit = { id: after, tree_id: random.hex(40), distinct: true, message: 'Retry payment webhooks with backoff', timestamp, url: `${repository.html_url}/commit/${after}`, author, committer: author, added: [], removed: [], modified: ['worker/payments.ts'] };
  return {
    ref: 'refs/heads/main', before, after, repository,
    pusher: { name: 'octocat', email: 'mona@example.com' }, sender,
    created: false, deleted: false, forced: false, base_ref: null,
    compare: `${repository.html_url}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: [commit], head_commit: commit,
  };
}

function pingEvent(repository: Repository, sender: Record<string, unknown>, random: Random, url: string): Record<string, unknown> {
  const hookId = Number(random.digits(9));
  return {
    zen: 'Design for failure.', hook_id: hookId,
    hook: { type: 'Repository', id: hookId, name: 'web', active: true, events: ['*'], config: { content_type: 'json', insecure_ssl: '0', url } },
    repository, sender,
  };
}

interface Repository { readonly html_url: string; readonly [field: string]: unknown }

function repositoryOf(random: Random): Repository {
  const owner = user('acme', random, 'Organization');
  return {
    id: Number(random.digits(9)), node_id: `R_kgDO${random.hex(8)}`, name: 'api', full_name: 'acme/api', private: true, owner,
    html_url: 'https://github.com/acme/api', default_branch: 'main', visibility: 'private',
  };
}

function user(login: string, random: Random, type = 'User'): Record<string, unknown> {
  return { login, id: Number(random.digits(8)), type, site_admin: false, html_url: `https://github.com/${login}` };
}
