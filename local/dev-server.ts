#!/usr/bin/env node
/**
 * Runs the example app's webhook endpoint on this machine: moto for AWS, the built verifier and
 * processor bundles, the API Gateway and SQS event source mapping emulations.
 *
 *     npm run build
 *     npx ts-node --transpile-only local/dev-server.ts [--port 8080] [--secret whsec_...] [--emulator http://127.0.0.1:5000]
 *
 * Then point `stripe listen --forward-to <printed URL>` at it, or sign requests yourself. Ctrl-C
 * stops everything and deletes what it created.
 */
import { buildApp } from '../bin/example-app';
import { startHarness } from './harness';
import { startMoto, type MotoServer } from './moto';

interface Arguments {
  readonly port?: number;
  readonly secret?: string;
  readonly emulator?: string;
}

function parseArguments(argv: readonly string[]): Arguments {
  const out: { port?: number; secret?: string; emulator?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--port') out.port = Number(value());
    else if (flag === '--secret') out.secret = value();
    else if (flag === '--emulator') out.emulator = value();
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write('usage: dev-server [--port N] [--secret VALUE] [--emulator URL]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  let moto: MotoServer | undefined;
  if (!args.emulator) moto = await startMoto();
  const emulatorEndpoint = args.emulator ?? moto?.endpoint ?? '';
  const { stack } = buildApp();
  const harness = await startHarness({
    stack,
    emulatorEndpoint,
    port: args.port,
    namePrefix: 'hw-dev',
    onLog: (entry) => process.stdout.write(`[${entry.source}] ${entry.text.trimEnd()}\n`),
  });
  if (args.secret) await harness.setSigningSecret(args.secret);
  const lines = [
    `hardened-webhooks local endpoint (${harness.config.endpointName})`,
    `  POST ${harness.url}`,
    `  AWS emulator: ${emulatorEndpoint}`,
    `  idempotency table: ${harness.table.name}`,
    ...Object.values(harness.processors).map((processor) => `  processor ${processor.name}: ${processor.queue.url}${processor.poller ? '' : ' (not polled)'}`),
    args.secret
      ? '  signing secret: set'
      : `  signing secret: not set — the endpoint answers 503 until you run\n    aws --endpoint-url ${emulatorEndpoint} secretsmanager put-secret-value --secret-id ${harness.signingSecretArn} --secret-string whsec_...`,
    ...harness.warnings.map((warning) => `  warning: ${warning}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await harness.stop();
    await moto?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
