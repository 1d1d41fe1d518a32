import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

/** What a consumer of the published package gets (run after `npm run build`, as `npm test` does). */
describe('package', () => {
  test('the runtime helper is importable through the subpath export hardened-webhooks/runtime', () => {
    const out = execFileSync(process.execPath, ['-e', "const r = require('hardened-webhooks/runtime'); console.log(typeof r.webhookProcessor)"], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe('function');
  });

  test('the construct library is importable from the package root', () => {
    const out = execFileSync(process.execPath, ['-e', "const l = require('hardened-webhooks'); console.log(typeof l.HardenedWebhookEndpoint, typeof l.WebhookProvider.stripe)"], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe('function function');
  });

  test('handler bundles are prebuilt and hold no machine-specific path, so asset hashes match on every machine', () => {
    const assets = path.join(root, 'assets');
    const bundles = readdirSync(assets, { recursive: true }).map(String).filter((file) => file.endsWith('index.js'));
    expect(bundles).toEqual(expect.arrayContaining(['verifier/index.js']));
    for (const bundle of bundles) {
      const code = readFileSync(path.join(assets, bundle), 'utf8');
      expect(code).not.toContain(root);
      expect(statSync(path.join(assets, bundle)).size).toBeGreaterThan(1000);
    }
  });

  test('the verifier bundle leaves the AWS SDK to the Lambda runtime', () => {
    const code = readFileSync(path.join(root, 'assets', 'verifier', 'index.js'), 'utf8');
    expect(code).toMatch(/require\("@aws-sdk\/client-dynamodb"\)/);
    expect(code).not.toMatch(/class DynamoDBClient/);
  });
});
