import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { UNSET_SECRET_PLACEHOLDER } from '../../../lambda/shared/contract';
import { currentOfRotationList } from '../../../local/cli/commands/send';
import { publicKeyProblem } from '../../../local/cli/dev';
import { main } from '../../../local/cli/main';
import { Output } from '../../../local/cli/output';
import { generateKeyPair } from '../../../local/cli/send';
import { endpointsIn, logicalIdsOfEndpoint } from '../../../local/harness/topology';
import type { CfnTemplate } from '../../../local/template';
import { HardenedWebhookEndpoint, WebhookProvider } from '../../../lib';
import { placeholderFunction } from '../../support/stacks';

async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, new Output((text) => { stdout += text; }, (text) => { stderr += text; }));
  return { code, stdout, stderr };
}

/** A server that answers every request with `body`: an endpoint that does not do the handshake. */
async function answering(body: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'Content-Type': 'application/json' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`, server };
}

describe('send', () => {
  test('a handshake answered with anything but what the provider checks for fails, saying what was expected', async () => {
    const { url, server } = await answering('{"ok":true}');
    try {
      for (const [provider, event] of [['slack', 'url_verification'], ['zoom', 'endpoint.url_validation']]) {
        const result = await cli(['send', provider, '--url', url, '--secret', 'whsec_x', '--event', event, '--json']);
        expect(result.code).toBe(1);
        expect(JSON.parse(result.stdout)).toMatchObject({ status: 200, handshake: 'unexpected', expectedReply: { statusCode: 200 } });
      }
    } finally {
      server.close();
    }
  });

  test('an option the provider does not read is refused, not silently ignored', async () => {
    const misspelt = await cli(['send', 'hmac', '--url', 'http://127.0.0.1:9/x', '--secret', 's', '--option', 'signatureHeader=X-Sig', '--option', 'algoritm=sha1']);
    expect(misspelt).toMatchObject({ code: 2, stderr: expect.stringContaining('--option algoritm does not apply to hmac; its options: signatureHeader, algorithm,') });
    const none = await cli(['send', 'stripe', '--url', 'http://127.0.0.1:9/x', '--secret', 's', '--option', 'bogusKey=1']);
    expect(none).toMatchObject({ code: 2, stderr: expect.stringContaining('--option bogusKey does not apply to stripe; it takes no options') });
  });

  test('no secret reaches the output: not a value passed as --secret-env, not a URL\'s credentials', async () => {
    const env = await cli(['send', 'stripe', '--url', 'http://127.0.0.1:9/x', '--secret-env', 'whsec_TOPSECRET123']);
    expect(env.code).toBe(2);
    expect(env.stdout + env.stderr).not.toContain('TOPSECRET123');
    const url = await cli(['send', 'stripe', '--url', 'http://admin:hunter2@127.0.0.1:9/x', '--secret', 's', '--json']);
    expect(url.code).toBe(1);
    expect(url.stdout + url.stderr).not.toContain('hunter2');
  });

  test('a rotation list is signed with its current entry: the one without an expiry, else the one that expires last', () => {
    expect(currentOfRotationList('whsec_plain', 'arn')).toBe('whsec_plain');
    expect(currentOfRotationList('["whsec_new", {"value": "whsec_old", "validUntil": "2099-01-01T00:00:00Z"}]', 'arn')).toBe('whsec_new');
    expect(currentOfRotationList('[{"value": "whsec_old", "validUntil": "2099-01-01T00:00:00Z"}, {"value": "whsec_new"}]', 'arn')).toBe('whsec_new');
    expect(currentOfRotationList('["a", "b"]', 'arn')).toBe('a');
    expect(currentOfRotationList('[{"value": "x", "validUntil": "2030-01-01T00:00:00Z"}, {"value": "y", "validUntil": "2031-01-01T00:00:00Z"}]', 'arn')).toBe('y');
    expect(() => currentOfRotationList('[whsec_LEAKME', 'arn')).toThrow(/^secret arn starts like a rotation list but is not valid JSON$/);
    // The placeholder a deployed endpoint's secret starts with is never signed with.
    expect(() => currentOfRotationList(UNSET_SECRET_PLACEHOLDER, 'arn')).toThrow(/secret arn is not set yet/);
    expect(currentOfRotationList(JSON.stringify([UNSET_SECRET_PLACEHOLDER, { value: 'whsec_real', validUntil: '2099-01-01T00:00:00Z' }]), 'arn')).toBe('whsec_real');
  });
});

describe('dev', () => {
  test('a Discord or SendGrid endpoint given something that is not its public key is warned about', () => {
    expect(publicKeyProblem('discord', 'whsec_x')).toContain('Ed25519 public key');
    expect(publicKeyProblem('discord', generateKeyPair('discord').publicKey)).toBeUndefined();
    expect(publicKeyProblem('sendgrid', 'whsec_x')).toContain('P-256 public key');
    expect(publicKeyProblem('sendgrid', generateKeyPair('sendgrid').publicKey)).toBeUndefined();
    expect(publicKeyProblem('stripe', 'anything')).toBeUndefined();
  });

  test('each endpoint of a stack gets only its own resources, so N endpoints create each set once', () => {
    const stack = new Stack(new App(), 'Two');
    for (const id of ['Stripe', 'GitHub']) {
      const endpoint = new HardenedWebhookEndpoint(stack, id, { provider: id === 'Stripe' ? WebhookProvider.stripe() : WebhookProvider.github() });
      endpoint.addProcessor(placeholderFunction(stack, `${id}Fn`), { name: 'p' });
    }
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    const created = (ids: ReadonlySet<string>) => [...ids].filter((id) => ['AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret'].includes(template.Resources[id].Type)).sort();
    const [stripe, github] = endpointsIn(template).map((endpoint) => created(logicalIdsOfEndpoint(template, endpoint.logicalId)));
    // table, queue, dead-letter queue, signing secret — and none of the other endpoint's
    expect(stripe.length).toBe(4);
    expect(github.length).toBe(4);
    expect(stripe.filter((id) => github.includes(id))).toEqual([]);
    expect(stripe.every((id) => id.startsWith('Stripe'))).toBe(true);
  });
});

describe('dev\'s emulator install', () => {
  test('without Python it says what is missing and what to do instead, and installs nothing', async () => {
    const { ensureMotoVirtualenv } = await import('../../../local/cli/python-tools');
    const { existsSync, mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'hw-venv-'));
    try {
      const progress: string[] = [];
      await expect(ensureMotoVirtualenv({ venv: path.join(dir, 'venv'), python: 'python3-that-does-not-exist', onProgress: (line) => progress.push(line) }))
        .rejects.toThrow(/python3-that-does-not-exist was not found: "dev" runs moto .* Install Python 3\.9 or later, or pass --emulator <url>/);
      expect(existsSync(path.join(dir, 'venv'))).toBe(false);
      expect(progress).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
