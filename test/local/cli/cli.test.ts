import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../local/cli/main';
import { Output } from '../../../local/cli/output';
import { generateKeyPair, PROVIDERS } from '../../../local/cli/send';
import { motoEndpoint } from '../../support/aws';

/**
 * The CLI as a user runs it: `dev` (the real bin, a child process) serves a small app that is not the
 * example app — one endpoint per provider scheme, each with a processor that logs what it ran — and
 * `send` signs events for every provider against it: accepted, duplicate, stale and forged.
 */
const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'local', 'dist', 'local', 'cli', 'main.js');
const APP = `node ${JSON.stringify(path.join(ROOT, 'test', 'fixtures', 'cli-app', 'app.js'))}`;
/** Valid for every shared-secret scheme: Standard Webhooks and Svix read base64 after `whsec_`. */
const SECRET = `whsec_${Buffer.from('hardened-webhooks cli test secret').toString('base64')}`;
/** Providers whose endpoints hold a public key: the test signs with the private half. */
const KEYS = { discord: generateKeyPair('discord'), sendgrid: generateKeyPair('sendgrid') } as const;
/** Construct IDs in the fixture app, by scheme. */
const FIXTURE_IDS: Readonly<Record<string, string>> = {
  stripe: 'Stripe', github: 'GitHub', hmac: 'Hmac', slack: 'Slack', shopify: 'Shopify', twilio: 'Twilio', 'standard-webhooks': 'StandardWebhooks',
  svix: 'Svix', square: 'Square', zoom: 'Zoom', paddle: 'Paddle', intercom: 'Intercom', linear: 'Linear', mailgun: 'Mailgun',
  sendgrid: 'SendGrid', pagerduty: 'PagerDuty', discord: 'Discord',
};
/** Provider options the fixture's endpoints need from `send` (the generic HMAC endpoint's layout). */
const OPTIONS: Readonly<Record<string, readonly string[]>> = {
  hmac: ['signatureHeader=X-Signature', 'signedContent={body}', 'eventIdField=id', 'eventTypeField=type'],
};

interface DevEndpoint { readonly endpoint: string; readonly provider: string; readonly url: string; readonly signedUrl: string; readonly secretSet: boolean }
interface Answer { readonly eventId?: string; readonly status: number; readonly body: string; readonly attempt: number }

/** A `dev` child process, its parsed JSON output lines, and a way to wait for a line. */
class DevProcess {
  public readonly lines: Array<Record<string, unknown>> = [];
  public stderr = '';
  private readonly child: ChildProcess;
  private readonly waiters: Array<() => void> = [];

  public constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, 'dev', '--json', '--emulator', motoEndpoint(), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let pending = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete.filter(Boolean)) this.lines.push(JSON.parse(line) as Record<string, unknown>);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-8000);
    });
    this.child.on('exit', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves once a line satisfies `predicate`; fails with dev's stderr if it exits first or the deadline passes. */
  public async waitFor<T>(predicate: (lines: ReadonlyArray<Record<string, unknown>>) => T | undefined, what: string, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = predicate(this.lines);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null) throw new Error(`dev exited (${this.child.exitCode}) before ${what}:\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  }

  public ready(timeoutMs = 240_000): Promise<readonly DevEndpoint[]> {
    return this.waitFor((lines) => lines.find((line) => line.ready === true)?.endpoints as DevEndpoint[] | undefined, 'ready line', timeoutMs);
  }

  /** Event IDs the processors logged, by the hosted function's log source. */
  public processed(): string[] {
    return this.lines.flatMap((line) => {
      const match = typeof line.text === 'string' ? /\{"processed":"([^"]*)"/.exec(line.text) : null;
      return match ? [match[1]] : [];
    });
  }

  public exited(): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  public async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill('SIGTERM');
    return exited;
  }
}

/** Runs `hardened-webhooks <args>` in process; returns the exit code, stdout lines and stderr. */
async function cli(args: readonly string[]): Promise<{ code: number; stdout: string[]; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, new Output((text) => { stdout += text; }, (text) => { stderr += text; }));
  return { code, stdout: stdout.split('\n').filter(Boolean), stderr };
}

function signingSecret(provider: string): string {
  const key = KEYS[provider as keyof typeof KEYS];
  return key ? key.privateKey : SECRET;
}

/** Twilio and Square sign the URL they call: the deployed API's URL, which dev reports. */
function signedUrlArgs(provider: string, endpoint: DevEndpoint): string[] {
  return provider === 'twilio' || provider === 'square' ? ['--signed-url', endpoint.signedUrl] : [];
}

function sendArgs(provider: string, endpoint: DevEndpoint, extra: readonly string[] = [], secret = signingSecret(provider)): string[] {
  return ['send', provider, '--url', endpoint.url, '--json', '--secret', secret, ...signedUrlArgs(provider, endpoint), ...(OPTIONS[provider] ?? []).flatMap((option) => ['--option', option]), ...extra];
}

describe('hardened-webhooks dev serving an app with one endpoint per provider, and send against it', () => {
  let dev: DevProcess;
  let endpoints: readonly DevEndpoint[];
  const sent = new Map<string, string[]>();
  const endpointFor = (provider: string) => {
    const found = endpoints.find((endpoint) => endpoint.endpoint.endsWith(`/${FIXTURE_IDS[provider]}`));
    if (!found) throw new Error(`dev serves no endpoint for ${provider}`);
    return found;
  };

  beforeAll(async () => {
    dev = new DevProcess([
      '--app', APP,
      '--secret', SECRET,
      '--secret-for', `CliFixture3/Discord=${KEYS.discord.publicKey}`,
      '--secret-for', `CliFixture3/SendGrid=${KEYS.sendgrid.publicKey}`,
    ]);
    endpoints = await dev.ready();
  }, 300_000);

  afterAll(async () => {
    expect(await dev.stop()).toBe(0);
  });

  test('dev synthesized the app from --app and serves every endpoint, each with its secret set and its processor run', () => {
    expect(endpoints.map((endpoint) => endpoint.endpoint.split('/')[1]).sort()).toEqual(Object.values(FIXTURE_IDS).sort());
    for (const endpoint of endpoints) {
      expect(endpoint).toMatchObject({ secretSet: true, endpoint: expect.stringMatching(/^CliFixture\d\/\w+$/) });
      expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/prod\/webhook$/);
    }
  });

  test.each(Object.keys(PROVIDERS))('%s: a signed event is accepted, its retry is a duplicate, a forged one is refused', async (provider) => {
    const endpoint = endpointFor(provider);
    // GIVEN one event sent twice, as a provider's retry sends it
    const genuine = await cli(sendArgs(provider, endpoint, ['--duplicates', '2']));
    const answers = genuine.stdout.map((line) => JSON.parse(line) as Answer);
    // THEN both are answered 200: the first accepted, the retry as the same event
    expect({ code: genuine.code, statuses: answers.map((answer) => answer.status), stderr: genuine.code === 0 ? '' : genuine.stderr })
      .toEqual({ code: 0, statuses: [200, 200], stderr: '' });
    const [first, retry] = answers;
    // The verifier's own answer names the outcome; Twilio (TwiML) and Discord (an interaction reply) get the provider's.
    if (first.body.startsWith('{"status"')) {
      expect(JSON.parse(first.body)).toMatchObject({ status: 'accepted' });
      expect(JSON.parse(retry.body)).toMatchObject({ status: 'duplicate' });
    }
    if (first.eventId) sent.set(provider, [first.eventId]);

    // WHEN the same kind of event is signed with the wrong secret (or another key pair) THEN 401, exit 1
    const wrong = KEYS[provider as keyof typeof KEYS] ? generateKeyPair(provider).privateKey : `whsec_${Buffer.from('not the endpoint secret').toString('base64')}`;
    const forged = await cli(sendArgs(provider, endpoint, [], wrong));
    expect(forged.code).toBe(1);
    expect(JSON.parse(forged.stdout[0]) as Answer).toMatchObject({ status: 401 });
  });

  test.each(Object.keys(PROVIDERS).filter((provider) => PROVIDERS[provider].signsTimestamp({})))('%s: a request signed 10 minutes ago is refused as stale', async (provider) => {
    const endpoint = endpointFor(provider);
    const stale = await cli(sendArgs(provider, endpoint, ['--timestamp-offset', '-600']));
    expect(stale.code).toBe(1);
    const answer = JSON.parse(stale.stdout[0]) as Answer;
    expect(answer.status).toBe(401);
    expect(answer.body).toContain('timestamp_out_of_window');
  });

  test.each([['slack', 'url_verification'], ['zoom', 'endpoint.url_validation'], ['discord', 'PING']])('%s: its handshake (%s) is answered as the provider expects', async (provider, event) => {
    const endpoint = endpointFor(provider);
    const { code, stdout } = await cli(sendArgs(provider, endpoint, ['--event', event]));
    expect(code).toBe(0);
    const answer = JSON.parse(stdout[0]) as Answer;
    expect(answer.status).toBe(200);
    expect(answer.body.length).toBeGreaterThan(0);
  });

  test('every accepted event with a known ID was processed exactly once, none of the duplicates, stale or forged ones', async () => {
    const expected = [...sent.values()].flat();
    expect(expected.length).toBeGreaterThanOrEqual(14);
    await dev.waitFor((lines) => (expected.every((id) => dev.processed().includes(id)) ? lines.length : undefined), 'every accepted event processed');
    const processed = dev.processed();
    for (const id of expected) expect(processed.filter((seen) => seen === id)).toHaveLength(1);
  }, 180_000);
});

describe('hardened-webhooks dev from a synthesized cdk.out', () => {
  test('serves the assembly\'s endpoint without running the app; refuses a --secret-for that names no endpoint', async () => {
    // GIVEN an assembly synthesized beforehand with one endpoint
    const out = mkdtempSync(path.join(tmpdir(), 'hw-cli-out-'));
    try {
      await new Promise<void>((resolve, reject) => {
        const synth = spawn(process.execPath, [path.join(ROOT, 'test', 'fixtures', 'cli-app', 'app.js')], { env: { ...process.env, CDK_OUTDIR: out, CLI_FIXTURE_PROVIDERS: 'Stripe' } });
        let stderr = '';
        synth.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
        synth.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`synth exited ${code}: ${stderr}`))));
      });
      // WHEN a secret names an endpoint that is not there THEN dev refuses with a usage error
      const wrong = new DevProcess(['--cdk-out', out, '--secret-for', 'Nope/Stripe=x']);
      expect(await wrong.exited()).toBe(2);
      expect(wrong.stderr).toContain('--secret-for names no endpoint: "Nope/Stripe"; endpoints: CliFixture1/Stripe');
      // AND with the right flags it serves Stripe and an event goes through to the processor
      const dev = new DevProcess(['--cdk-out', out, '--secret', SECRET]);
      try {
        const [endpoint] = await dev.ready();
        expect(endpoint).toMatchObject({ provider: 'stripe', endpoint: 'CliFixture1/Stripe', secretSet: true });
        const sentEvent = await cli(sendArgs('stripe', endpoint, ['--event-id', 'evt_from_cdk_out']));
        expect(sentEvent.code).toBe(0);
        await dev.waitFor(() => (dev.processed().includes('evt_from_cdk_out') ? true : undefined), 'the event processed');
      } finally {
        expect(await dev.stop()).toBe(0);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 420_000);
});

describe('hardened-webhooks conventions', () => {
  test('--help on every command, usage errors exit non-zero, no secret in any output', async () => {
    for (const command of [[], ['send'], ['dev'], ['redrive']]) {
      const help = await cli([...command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout.join('\n')).toContain('Usage: hardened-webhooks');
    }
    const missing = await cli(['send', 'stripe']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--url');
    const unknown = await cli(['send', 'nope', '--url', 'http://127.0.0.1:9/x', '--secret', 'x']);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown provider') });
    // A refused connection is reported, exits 1, and the secret appears nowhere
    const refused = await cli(['send', 'stripe', '--url', 'http://127.0.0.1:9/webhook', '--secret', 'whsec_do_not_print', '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout[0])).toMatchObject({ status: 0, error: expect.any(String) });
    expect(refused.stdout.join('\n') + refused.stderr).not.toContain('whsec_do_not_print');
  });
});
