import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * Runs an ES module snippet in a child Node process and returns what it prints. Some official
 * SDKs (@octokit/webhooks-methods, @linear/sdk) ship as ESM only, which ts-jest's CommonJS
 * runtime cannot import.
 */
export function runEsm(source: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', source], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8' }).trim();
}

/** `sign` from @octokit/webhooks-methods, for several payloads at once (one child process). */
export function octokitSign(secret: string, payloads: readonly string[]): string[] {
  const out = runEsm(`import { sign } from '@octokit/webhooks-methods';
const payloads = ${JSON.stringify(payloads)};
const out = [];
for (const p of payloads) out.push(await sign(${JSON.stringify(secret)}, p));
console.log(JSON.stringify(out));`);
  return JSON.parse(out) as string[];
}

/** `verify` from @octokit/webhooks-methods. */
export function octokitVerify(secret: string, payload: string, signature: string): boolean {
  return runEsm(`import { verify } from '@octokit/webhooks-methods';
console.log(String(await verify(${JSON.stringify(secret)}, ${JSON.stringify(payload)}, ${JSON.stringify(signature)})));`) === 'true';
}
