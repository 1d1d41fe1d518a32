// Loads the local harness (local/: API Gateway emulation → verifier bundle → counting proxy → moto,
// SQS pollers for processors) and the construct, compiled from TypeScript with esbuild, and builds
// the endpoint stack the end-to-end benchmarks run.
import { createRequire } from 'node:module';
import { ROOT } from './common.mjs';
import { compileEntry } from './compile.mjs';

const require = createRequire(import.meta.url);

export async function loadHarness() {
  const file = await compileEntry('bench/lib/harness-entry.ts', 'harness-lib');
  return require(file);
}

export const STRIPE_SECRET = 'whsec_bench_signing_secret';

/**
 * Starts moto and the harness on an endpoint with two processors: `fulfilment` (payment_intent.*)
 * and `audit` (every event). `processor(name)` gives each processor's behaviour.
 */
export async function startEndpoint(lib, { processors = {}, props = {}, poller, sdkMaxAttempts } = {}) {
  // The repository's virtualenv, named: the bundle's own folder (.bench/bundles/) is not where local/ is.
  const moto = await lib.startMoto({ root: ROOT });
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  process.env.AWS_REGION ??= 'us-east-1';
  try {
    const { stack } = lib.endpointStack(props, [{ name: 'fulfilment', eventTypes: ['payment_intent.*'] }, { name: 'audit' }]);
    const implementations = Object.fromEntries(['fulfilment', 'audit'].map((name) => [name, lib.benchProcessor(processors[name] ?? (() => undefined))]));
    const harness = await lib.startHarness({ stack, processors: implementations, emulatorEndpoint: moto.endpoint, poller, sdkMaxAttempts });
    return {
      moto,
      harness,
      async stop() {
        await harness.stop().catch(() => undefined);
        await moto.stop();
      },
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}

/**
 * A Stripe delivery signed like Stripe signs it: the `Stripe-Signature` header over `${t}.${body}`.
 * `bodyBytes` pads the body to about that size, to exactly that size with `exactSize`.
 */
export function stripeDelivery(lib, { id, type = 'payment_intent.succeeded', customer = 'cus_bench', secret = STRIPE_SECRET, bodyBytes = 0, exactSize = false, nowMs = Date.now() } = {}) {
  const body = lib.stripeBody({ id, type, customer, padTo: bodyBytes, exact: exactSize, createdS: Math.floor(nowMs / 1000) });
  return { id, body, headers: lib.stripeHeaders(body, secret, Math.floor(nowMs / 1000)) };
}
