#!/usr/bin/env node
/**
 * `hardened-webhooks` — the webhook lifecycle on the command line:
 *
 *     hardened-webhooks send stripe --url http://127.0.0.1:3000/prod/webhook --secret whsec_…
 *     hardened-webhooks dev [--app "npx ts-node bin/app.ts" | --cdk-out cdk.out] --secret whsec_…
 *     hardened-webhooks redrive --stack Payments --processor fulfilment [--dry-run]
 *     hardened-webhooks replay --stack Payments --processor fulfilment --event evt_1 --replay-id fix-1234 [--dry-run]
 *     hardened-webhooks archive show|list|erase --stack Payments …
 *
 * Every command takes --help and --json; failures exit non-zero; no secret is ever printed.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EmulatorUnavailableError } from '../moto';
import { UnsupportedTemplateError } from '../template';
import { ArchiveError } from './archive';
import { registerArchive } from './commands/archive';
import { runDev } from './commands/dev';
import { runRedrive } from './commands/redrive';
import { registerReplay } from './commands/replay';
import { runSend } from './commands/send';
import { CliError } from './errors';
import { Output } from './output';
import { RedriveError } from './redrive';
import { SendInputError } from './send';

export function program(output: Output = new Output()): Command {
  const root = new Command('hardened-webhooks')
    .description('Send signed test webhooks, run your CDK app\'s webhook endpoints locally, redrive dead-letter queues, replay and erase archived events.')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (text) => output.raw(text), writeErr: (text) => output.rawError(text) });

  root.command('send')
    .description('build a test event, sign it exactly as the provider would, POST it and print the answer')
    .argument('<provider>', 'stripe, github, slack, shopify, twilio, standard-webhooks, svix, square, zoom, paddle, intercom, linear, mailgun, sendgrid, pagerduty, discord or hmac')
    .requiredOption('--url <url>', 'where to POST (e.g. a URL "hardened-webhooks dev" printed)')
    .option('--secret <value>', 'the signing secret (for discord and sendgrid: the private key, PEM or the provider\'s format)')
    .option('--secret-env <name>', 'read the secret from this environment variable')
    .option('--secret-arn <arn>', 'read the secret from AWS Secrets Manager (the default credentials and Region; a rotation list uses its current value)')
    .option('--generate-key', 'discord, sendgrid: make a key pair, print the public key for the endpoint\'s secret and sign with the private one')
    .option('--signed-url <url>', 'the URL the provider signs, when it differs from --url (twilio, square behind a tunnel)')
    .option('--event <type>', 'event type, in the provider\'s words (payment_intent.succeeded, pull_request.opened, url_verification)')
    .option('--event-id <id>', 'the event ID (default: a fresh one per event)')
    .option('--body <file>', 'send this file\'s bytes as the body, signed as they are')
    .option('--count <n>', 'distinct events to send', positiveInteger, 1)
    .option('--duplicates <n>', 'times each event is sent (a provider\'s retries)', positiveInteger, 1)
    .option('--concurrency <n>', 'requests in flight at once', positiveInteger, 1)
    .option('--timestamp-offset <seconds>', 'shift every signed timestamp (negative: a stale request)', integer, 0)
    .option('--option <key=value...>', 'provider options as the construct names them (signatureHeader=X-Sig, legacySha1=true, …)')
    .option('--json', 'one JSON object per response')
    .action(async (provider: string, flags: Record<string, unknown>) => runSend(provider, flags, output));

  root.command('dev')
    .description('run the webhook endpoints of your CDK app on loopback, against moto (an AWS emulator)')
    .option('--app <command>', 'the command that synthesizes the app (default: cdk.json\'s "app")')
    .option('--cdk-out <folder>', 'run an assembly "cdk synth" already wrote, instead of synthesizing')
    .option('--secret <value>', 'signing secret of every endpoint')
    .option('--secret-env <name>', 'read the signing secret of every endpoint from this environment variable')
    .option('--secret-for <path=value...>', 'signing secret of one endpoint, by construct path (MyStack/Stripe=whsec_…)')
    .option('--emulator <url>', 'use this moto server instead of starting one')
    .option('--port <n>', 'port of the first endpoint; the next ones count up', positiveInteger)
    .option('--quiet', 'do not print the functions\' log lines')
    .option('--json', 'print the endpoints as one JSON object when ready, and log lines as JSON')
    .addOption(new Option('--venv <folder>', 'where moto is installed').default('.hardened-webhooks/moto-venv'))
    .action(async (flags: Record<string, unknown>) => runDev(flags, output));

  root.command('redrive')
    .description('move the messages of a processor\'s dead-letter queue back to its queue')
    .requiredOption('--stack <name>', 'the deployed stack that holds the endpoint')
    .option('--processor <name>', 'the processor (or <endpoint>/<processor>); required when the stack has several')
    .option('--dry-run', 'list counts, event IDs and types; move nothing')
    .addOption(new Option('--mode <mode>', 'SQS message move task, a receive-send-delete loop, or the task with the loop as fallback').choices(['auto', 'move-task', 'loop']).default('auto'))
    .option('--region <region>', 'AWS Region (default: the SDK\'s)')
    .option('--endpoint-url <url>', 'AWS endpoint, e.g. a moto server')
    .option('--json', 'print the result as JSON')
    .action(async (flags: Record<string, unknown>) => runRedrive(flags, output));

  registerReplay(root, output);
  registerArchive(root, output);

  return root;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('a whole number of 1 or more');
  return parsed;
}

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError('a whole number');
  return parsed;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[], output: Output = new Output()): Promise<number> {
  try {
    await program(output).parseAsync([...argv], { from: 'user' });
    return output.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      output.error(error.message);
      return error.exitCode;
    }
    if (isKnownError(error)) {
      output.error(error.message);
      return 1;
    }
    output.error(error instanceof Error ? error.stack ?? error.message : String(error));
    return 1;
  }
}

/** The typed errors of the send, redrive and archive cores and the emulator: their messages are written for the user. */
function isKnownError(error: unknown): error is Error {
  return error instanceof SendInputError || error instanceof RedriveError || error instanceof ArchiveError
    || error instanceof EmulatorUnavailableError || error instanceof UnsupportedTemplateError;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });
}
