// B1 — verification CPU: our schemes' verify() against the floor (raw node:crypto createHmac +
// timingSafeEqual over the same signed content) and against the providers' official SDK verifiers,
// on identical inputs, at 1 KiB, 64 KiB and 1 MiB, interleaved in one process.
//
//   node --expose-gc bench/b1-verify.mjs [--quick] [--rounds=N]
//
// For method trials only (the defaults are what the published figures use): --gc=round|batch|none,
// --batch-ms=N, --warmup-rounds=N, --sizes=1024,65536, --providers=github,stripe (in that order).
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { parse as parseQuery } from 'node:querystring';
import { compileVerifierLib } from './lib/compile.mjs';
import { fmt, median, options, progress, table, writeResult } from './lib/common.mjs';
import { interleave } from './lib/timing.mjs';

const require = createRequire(import.meta.url);
const opts = options();
const flag = (name) => process.argv.slice(2).find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const ROUNDS = opts.rounds ?? (opts.quick ? 11 : 31);
/** About this long per batch (×2 at 1 MiB): short, so that many batches interleave closely. */
const BATCH_MS = Number(flag('batch-ms')) || 10;
/**
 * No forced GC: a forced full GC (before every batch, or once per round) left the heap in a state
 * that made the next batches 2–3× slower at 1 KiB, the floor most of all. Without it every
 * candidate runs in the steady state a warm handler runs in, paying for the scavenges its own
 * garbage triggers.
 */
const GC = flag('gc') ?? 'none';
const WARMUP_ROUNDS = flag('warmup-rounds') !== undefined ? Number(flag('warmup-rounds')) : 2;
const SIZES = flag('sizes')?.split(',').map(Number) ?? [1024, 64 * 1024, 1024 * 1024];
/** Resamples for the bootstrap interval of each ratio (as B3). */
const RESAMPLES = 2000;
const WARMUP_MS = 150;
if (typeof globalThis.gc !== 'function' && GC !== 'none') progress('B1: run with --expose-gc, or the per-round GC is skipped');
const TOLERANCE_S = 300;

progress('B1: compiling the verifier with esbuild');
const full = require(await compileVerifierLib());
const verifyOnlyLib = require(await compileVerifierLib({ verifyOnly: true }));

// Official SDKs, loaded the way an application would (octokit's package is ESM-only).
const Stripe = require('stripe');
const stripe = new Stripe('sk_test_bench_no_network');
const { verify: octokitVerify } = await import('@octokit/webhooks-methods');
const { Webhook: StandardWebhook } = require('standardwebhooks');
const twilio = require('twilio/lib/webhooks/webhooks');

/** A provider-shaped JSON body of about `size` bytes: top-level fields plus a list of line items. */
function jsonBody(size, top, listKey = 'items') {
  const items = [];
  const doc = { ...top, data: { object: { ...(top.data?.object ?? {}), [listKey]: items } } };
  let text = JSON.stringify(doc);
  for (let i = 0; text.length < size; i++) {
    items.push({ id: `li_${i.toString(36).padStart(10, '0')}`, object: 'line_item', amount: 1000 + i, currency: 'usd', description: `Widget #${i} — blue, size M`, quantity: 1 + (i % 5), metadata: { sku: `SKU-${i}`, warehouse: 'DUB1' } });
    if (items.length % 64 === 0 || size - text.length < 4096) text = JSON.stringify(doc);
  }
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

const COMMON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'bench/1.0', Host: 'abc123.execute-api.us-east-1.amazonaws.com', 'X-Forwarded-For': '203.0.113.7', 'X-Amzn-Trace-Id': 'Root=1-00000000-000000000000000000000000' };

/** Our path, as the handler runs it: the API Gateway event → InboundRequest (built once, outside the timing), then verify(). */
function ours(lib, schemeId, event, secrets, nowMs, options = {}) {
  const scheme = lib.schemeById(schemeId);
  const request = lib.toInboundRequest(event);
  const context = { secrets, nowMs, toleranceSeconds: TOLERANCE_S };
  return () => scheme.verify(request, context, options).ok;
}

function floor(algorithm, key, parts, signature) {
  return () => {
    const mac = createHmac(algorithm, key);
    for (const part of parts) mac.update(part);
    return timingSafeEqual(mac.digest(), signature);
  };
}

/** The floor with the one trick our hmac() uses: digest as a latin1 string, re-wrapped from Node's buffer pool. */
function floorBinary(algorithm, key, parts, signature) {
  return () => {
    const mac = createHmac(algorithm, key);
    for (const part of parts) mac.update(part);
    return timingSafeEqual(Buffer.from(mac.digest('binary'), 'binary'), signature);
  };
}

function floorPlusParse(floorFn, body) {
  return () => floorFn() && JSON.parse(body.toString('utf8')) !== undefined;
}

const PROVIDERS = {
  stripe(size) {
    const nowMs = Date.now();
    const secret = `whsec_${randomBytes(24).toString('hex')}`;
    const t = String(Math.floor(nowMs / 1000));
    const body = jsonBody(size, { id: 'evt_1PbenchAbCdEfGh', object: 'event', api_version: '2024-06-20', created: Number(t), type: 'payment_intent.succeeded', livemode: false, data: { object: { id: 'pi_3Pbench', object: 'payment_intent', customer: 'cus_Bench123', amount: 4200 } } });
    const digest = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
    const header = `t=${t},v1=${digest.toString('hex')}`;
    const event = full.apiGatewayEvent({ body, headers: { ...COMMON_HEADERS, 'Stripe-Signature': header } });
    const f = floor('sha256', secret, [`${t}.`, body], digest);
    return {
      body,
      floor: f,
      floorBinary: floorBinary('sha256', secret, [`${t}.`, body], digest),
      floorParse: floorPlusParse(f, body),
      verifyOnly: ours(verifyOnlyLib, 'stripe', event, [secret], nowMs),
      verifyParse: ours(full, 'stripe', event, [secret], nowMs),
      sdks: [{ name: 'stripe.webhooks.constructEvent', parses: true, fn: () => stripe.webhooks.constructEvent(body, header, secret, TOLERANCE_S, undefined, nowMs) }],
    };
  },
  github(size) {
    const nowMs = Date.now();
    const secret = randomBytes(20).toString('hex');
    const body = jsonBody(size, { action: 'opened', number: 42, repository: { full_name: 'octo-org/octo-repo', private: false }, organization: { login: 'octo-org' }, sender: { login: 'octocat' } }, 'commits');
    const digest = createHmac('sha256', secret).update(body).digest();
    const signature = `sha256=${digest.toString('hex')}`;
    const event = full.apiGatewayEvent({ body, headers: { ...COMMON_HEADERS, 'X-Hub-Signature-256': signature, 'X-GitHub-Delivery': randomUUID(), 'X-GitHub-Event': 'pull_request', 'X-GitHub-Hook-ID': '123456' } });
    const text = body.toString('utf8'); // octokit takes the payload as a string only (it rejects a Buffer)
    const f = floor('sha256', secret, [body], digest);
    return {
      body,
      floor: f,
      floorBinary: floorBinary('sha256', secret, [body], digest),
      floorParse: floorPlusParse(f, body),
      verifyOnly: ours(verifyOnlyLib, 'github', event, [secret], nowMs, { allowLegacySha1: false }),
      verifyParse: ours(full, 'github', event, [secret], nowMs, { allowLegacySha1: false }),
      sdks: [{ name: '@octokit/webhooks-methods verify', parses: false, async: true, fn: () => octokitVerify(secret, text, signature) }],
    };
  },
  'standard-webhooks'(size) {
    const nowMs = Date.now(); // standardwebhooks reads Date.now() itself: the group is signed just before it runs
    const key = randomBytes(32);
    const secret = `whsec_${key.toString('base64')}`;
    const id = `msg_${randomBytes(12).toString('hex')}`;
    const t = String(Math.floor(nowMs / 1000));
    const body = jsonBody(size, { type: 'invoice.paid', timestamp: new Date(nowMs).toISOString(), data: { object: { id: 'inv_bench', customer: 'cus_Bench123' } } });
    const digest = createHmac('sha256', key).update(`${id}.${t}.`).update(body).digest();
    const headers = { 'webhook-id': id, 'webhook-timestamp': t, 'webhook-signature': `v1,${digest.toString('base64')}` };
    const event = full.apiGatewayEvent({ body, headers: { ...COMMON_HEADERS, ...headers } });
    const wh = new StandardWebhook(secret);
    const f = floor('sha256', key, [`${id}.${t}.`, body], digest);
    return {
      body,
      floor: f,
      floorBinary: floorBinary('sha256', key, [`${id}.${t}.`, body], digest),
      floorParse: floorPlusParse(f, body),
      verifyOnly: ours(verifyOnlyLib, 'standard-webhooks', event, [secret], nowMs),
      verifyParse: ours(full, 'standard-webhooks', event, [secret], nowMs),
      sdks: [{ name: 'standardwebhooks Webhook.verify', parses: true, fn: () => wh.verify(body, headers) }],
    };
  },
  twilio(size) {
    const nowMs = Date.now();
    const token = randomBytes(16).toString('hex');
    const url = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/webhook';
    const params = {
      ToCountry: 'US', ToState: 'CA', SmsMessageSid: 'SM0123456789abcdef0123456789abcdef', NumMedia: '0', ToCity: 'SAN FRANCISCO', FromZip: '94105',
      SmsSid: 'SM0123456789abcdef0123456789abcdef', FromState: 'CA', SmsStatus: 'received', FromCity: 'SAN FRANCISCO', Body: '', FromCountry: 'US',
      To: '+14155550100', MessagingServiceSid: 'MG0123456789abcdef0123456789abcdef', ToZip: '94105', NumSegments: '1', MessageSid: 'SM0123456789abcdef0123456789abcdef',
      AccountSid: 'AC0123456789abcdef0123456789abcdef', From: '+14155550199', ApiVersion: '2010-04-01',
    };
    const base = new URLSearchParams(params).toString().length;
    params.Body = 'Hello from the benchmark, café ☕ & co. '.repeat(Math.ceil(size / 40)).slice(0, Math.max(0, Math.floor((size - base) / 1.25)));
    const body = Buffer.from(new URLSearchParams(params).toString(), 'utf8');
    const signed = Buffer.from(url + Object.keys(params).sort().map((k) => k + params[k]).join(''), 'utf8');
    const digest = createHmac('sha1', token).update(signed).digest();
    const header = digest.toString('base64');
    const event = full.apiGatewayEvent({ body, headers: { ...COMMON_HEADERS, 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': header, 'I-Twilio-Idempotency-Token': randomUUID() } });
    return {
      body,
      floor: floor('sha1', token, [signed], digest),
      floorBinary: floorBinary('sha1', token, [signed], digest),
      verifyParse: ours(full, 'twilio', event, [token], nowMs),
      breakdown: [
        { name: 'part of ours: form decoding (decodeForm, the bytes the signature and the event ID are built from)', fn: () => full.decodeForm(body) },
      ],
      sdks: [
        { name: 'twilio.validateRequest (params pre-parsed)', parses: false, context: true, fn: () => twilio.validateRequest(token, header, url, params) },
        { name: 'twilio.validateRequest + form parse', parses: true, fn: () => twilio.validateRequest(token, header, url, parseQuery(body.toString('utf8'))) },
      ],
    };
  },
};

const groups = [];
const ONLY = flag('providers')?.split(',');
for (const [provider, make] of ONLY ? ONLY.map((p) => [p, PROVIDERS[p]]) : Object.entries(PROVIDERS)) {
  for (const size of SIZES) {
    progress(`B1: ${provider} @ ${fmt.size(size)}`);
    const input = make(size);
    const candidates = [
      { name: 'floor', fn: input.floor },
      { name: 'floor, binary digest', fn: input.floorBinary, reference: true },
      ...(input.floorParse ? [{ name: 'floor + JSON.parse', fn: input.floorParse, reference: true }] : []),
      ...(input.verifyOnly ? [{ name: 'ours: verify-only', fn: input.verifyOnly, ours: 'verify-only' }] : []),
      { name: input.verifyOnly ? 'ours: verify + parse' : 'ours: verify()', fn: input.verifyParse, ours: 'verify+parse' },
      ...input.sdks.map((sdk) => ({ ...sdk, sdk: true })),
      ...(input.breakdown ?? []).map((part) => ({ ...part, reference: true })),
    ];
    const results = await interleave(candidates, { rounds: ROUNDS, batchMs: size >= 1024 * 1024 ? BATCH_MS * 2 : BATCH_MS, warmupMs: WARMUP_MS, warmupRounds: WARMUP_ROUNDS, gc: GC });
    groups.push({ provider, size, bytes: input.body.length, candidates: candidates.map(({ fn, ...c }) => ({ ...c, ...results[c.name] })) });
  }
}

// ---- Report -------------------------------------------------------------------------------------

/**
 * The ratio of candidate a to candidate b, paired by round: the median over the rounds of
 * a's batch ÷ b's batch in the same round (they ran within a few tens of ms of each other, under the
 * same load), so that a slow phase of the shared machine, lasting seconds, cancels out.
 */
const pairedRatios = (a, b) => a.map((x, k) => x / b[k]);
/**
 * Its 95 % bootstrap interval (B3's method): whole rounds are resampled, so the interval carries
 * the machine's drift as well as each candidate's own noise. Seeded: reproducible.
 */
function ratioInterval(a, b) {
  const perRound = pairedRatios(a, b);
  let seed = 0x9e3779b9;
  const random = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  const ratios = [];
  for (let i = 0; i < RESAMPLES; i++) ratios.push(median(Array.from(perRound, () => perRound[Math.floor(random() * perRound.length)])));
  ratios.sort((x, y) => x - y);
  return [ratios[Math.floor(RESAMPLES * 0.025)], ratios[Math.ceil(RESAMPLES * 0.975) - 1]];
}
const pairedRatio = (a, b) => median(pairedRatios(a, b));
const fmtInterval = ([lo, hi]) => `${lo.toFixed(2)}–${hi.toFixed(2)}`;
/** A ratio judged against an upper limit only as far as its interval allows. */
const verdict = ([lo, hi], limit) => (hi <= limit ? 'met' : lo > limit ? 'not met' : 'not shown');

const floorOf = (g) => g.candidates.find((c) => c.name === 'floor');
for (const g of groups) {
  const f = floorOf(g);
  for (const c of g.candidates) {
    c.ratio = c === f ? 1 : pairedRatio(c.samplesUs, f.samplesUs);
    c.interval = c === f ? [1, 1] : ratioInterval(c.samplesUs, f.samplesUs);
  }
}

const rows = [];
for (const g of groups) {
  for (const c of g.candidates) {
    const name = c.name + (c.sdk ? (c.parses ? ' ¹' : ' ²') : '');
    rows.push([g.provider, fmt.size(g.size), c.ours ? `**${name}**` : name, fmt.us(c.medianUs), fmt.pct(c.spread), fmt.ratio(c.ratio), c.name === 'floor' ? '—' : fmtInterval(c.interval), fmt.us(c.wallMedianUs)]);
  }
}

/** Our figure judged for a target: verify-only where the scheme parses afterwards, else verify(). */
const oursFor = (g, kind) => g.candidates.find((c) => c.ours === kind) ?? g.candidates.find((c) => c.ours);
/**
 * The floor targets hold for the schemes that sign the raw body under a header signature, the ones
 * with a verify-only figure. Twilio signs the URL and the decoded form, so decoding the form is part
 * of verifying it and no HMAC floor bounds it: its target is the SDK comparison below.
 */
const headerSignature = (g) => g.candidates.some((c) => c.ours === 'verify-only');
const targets = [];
const headline = [];
for (const [size, limit] of [[1024, 1.10], [1024 * 1024, 1.02]]) {
  const gs = groups.filter((g) => g.size === size && headerSignature(g));
  if (gs.length === 0) continue;
  const ratios = gs.map((g) => {
    const c = oursFor(g, 'verify-only');
    return { provider: g.provider, ratio: c.ratio, interval: c.interval, verdict: verdict(c.interval, limit) };
  });
  const shown = (r) => `${r.provider} ${fmt.ratio(r.ratio)} (95 % ${fmtInterval(r.interval)}, ${r.verdict})`;
  targets.push({ name: `≤ ${limit.toFixed(2)}× floor at ${fmt.size(size)}, the signature check alone (verify-only), every header-signature scheme`, measured: ratios.map(shown).join(', '), met: ratios.every((r) => r.verdict === 'met') });
  headline.push(`verify-only at ${fmt.size(size)}: ${ratios.map((r) => `${r.provider} ${fmt.ratio(r.ratio)} (${fmtInterval(r.interval)})`).join(', ')} of the floor`);
}
/**
 * verify + parse is reported against "floor + JSON.parse", the least any verify-then-parse path can
 * cost; an HMAC floor without a parse cannot bound it (JSON.parse alone is several times the HMAC).
 */
const parseRatios = groups.filter(headerSignature).map((g) => {
  const mine = oursFor(g, 'verify+parse');
  const least = g.candidates.find((c) => c.name === 'floor + JSON.parse');
  return { provider: g.provider, size: g.size, ratio: pairedRatio(mine.samplesUs, least.samplesUs), interval: ratioInterval(mine.samplesUs, least.samplesUs) };
});
if (parseRatios.length > 0) {
  targets.push({
    name: 'verify + parse against floor + JSON.parse (reported, no target)',
    measured: parseRatios.map((r) => `${r.provider} ${fmt.size(r.size)} ${fmt.ratio(r.ratio)} (95 % ${fmtInterval(r.interval)})`).join(', '),
    met: undefined,
  });
}
const sdkRows = [];
const sdkVerdicts = [];
for (const g of groups) {
  for (const sdk of g.candidates.filter((c) => c.sdk)) {
    // Like for like: an SDK that parses the body is compared with our verify + parse, one that does not with verify-only.
    const mine = sdk.parses ? oursFor(g, 'verify+parse') : oursFor(g, 'verify-only');
    const [lo, hi] = ratioInterval(sdk.samplesUs, mine.samplesUs);
    const faster = sdk.context ? 'context, not counted' : lo > 1 ? 'yes' : hi < 1 ? '**no**' : 'not shown';
    if (!sdk.context) sdkVerdicts.push(faster);
    sdkRows.push([g.provider, fmt.size(g.size), sdk.name, mine.name, fmt.ratio(pairedRatio(sdk.samplesUs, mine.samplesUs)), fmtInterval([lo, hi]), faster]);
  }
}
const count = (v) => sdkVerdicts.filter((x) => x === v).length;
targets.push({ name: 'faster than every official SDK verifier (like for like; for Twilio, validateRequest plus the form parse it needs)', measured: `${count('yes')}/${sdkVerdicts.length} comparisons faster (95 % interval above 1×), ${count('not shown')} not shown, ${count('**no**')} slower`, met: count('yes') === sdkVerdicts.length });

// What dominates, from the Stripe rows (the other HMAC-over-body schemes behave alike).
const pick = (provider, size, name) => groups.find((g) => g.provider === provider && g.size === size)?.candidates.find((c) => c.name === name || c.ours === name)?.medianUs ?? Number.NaN;
const pickRatio = (provider, size, name) => groups.find((g) => g.provider === provider && g.size === size)?.candidates.find((c) => c.name === name || c.ours === name)?.ratio ?? Number.NaN;
const f1 = pick('stripe', 1024, 'floor');
const f64 = pick('stripe', 64 * 1024, 'floor');
const perKiB = (f64 - f1) / 63;
const fixed = f1 - perKiB;
const parseShare = (size) => (pick('stripe', size, 'floor + JSON.parse') - pick('stripe', size, 'floor')) / pick('stripe', size, 'verify+parse');
const dominates = [
  `At 1 KiB the floor is mostly fixed cost: about ${fmt.us(fixed)} µs of its ${fmt.us(f1)} µs is creating the HMAC (key schedule, native object) and the digest, independent of the body; hashing costs about ${fmt.us(perKiB)} µs per KiB. Our verify-only path adds ${fmt.us(pick('stripe', 1024, 'verify-only') - f1)} µs on top (Stripe): reading and splitting the signature header, hex decoding, the timestamp window, reading the event ID and type — a fixed cost, which makes the path ${fmt.ratio(pickRatio('stripe', 1024, 'verify-only'))} the floor at 1 KiB and vanishes at 1 MiB (${fmt.ratio(pickRatio('stripe', 1024 * 1024, 'verify-only'))}).`,
  `Once the body is parsed, \`JSON.parse\` dominates everything: it is ${(parseShare(64 * 1024) * 100).toFixed(0)}% of our verify + parse time at 64 KiB and ${(parseShare(1024 * 1024) * 100).toFixed(0)}% at 1 MiB, where parsing takes ${((pick('stripe', 1024 * 1024, 'floor + JSON.parse') - pick('stripe', 1024 * 1024, 'floor')) / pick('stripe', 1024 * 1024, 'floor')).toFixed(0)} times as long as the HMAC. The SDKs that return the event (\`constructEvent\`, \`Webhook.verify\`) pay it too; our remaining gap to "floor + JSON.parse" is strict UTF-8 decoding and the nesting-depth check on the parsed value.`,
  `Twilio is the exception to the floor: its signed content is built from the decoded form, so decoding is part of verifying (the "part of ours" row), and our verify() also computes two event-ID digests the SDK does not. Compare it with \`validateRequest\` + form parse, like for like.`,
];

const gcText = {
  none: 'no forced GC: every candidate pays for the scavenges its own garbage triggers, as a warm handler does (an earlier version forced a full GC before every batch, which left the heap in a state that made the next batches 2–3× slower at 1 KiB, the floor most of all, and so understated our overhead)',
  round: 'a forced full GC at the start of every round, the same for every candidate',
  batch: 'a forced full GC before every batch',
}[GC];
const floors1k = groups.filter((g) => g.size === 1024).map((g) => `${g.provider} ${fmt.us(floorOf(g).medianUs)}`).join(', ');
const markdown = `Median CPU time per verification (µs) over ${ROUNDS} interleaved rounds in one process. Each candidate is first warmed up and calibrated alone (${WARMUP_MS} ms), then ${WARMUP_ROUNDS} untimed interleaved rounds bring every candidate to the steady state the interleaving itself produces; then each timed round runs every candidate for one batch of about ${BATCH_MS} ms (×2 at 1 MiB), in rotating order, with ${gcText}. The figure is the median over the rounds of each batch's mean time per call. CPU time is the process's user + system time (\`process.cpuUsage()\`), which does not grow while another process holds the core (it still grows when a neighbour on a shared core or cache slows us down, which is why batches are short and interleaved); wall-clock medians are shown too. "spread" is the interquartile range over the rounds as a share of the median; "× floor" is the ratio to the floor at the same size and the same clock, paired by round: the median over the rounds of the candidate's batch ÷ the floor's batch in the same round (they ran within tens of ms of each other, so a slow phase of the shared machine, which lasts seconds, cancels out); "95 % interval" is a bootstrap interval of that ratio (${RESAMPLES} resamples of whole rounds, as in B3). A target is "met" only if the whole interval is within it, "not met" if the whole interval is above it, and "not shown" if the interval straddles it; the summary counts only "met". The floor at 1 KiB in this run (µs): ${floors1k} — the Stripe and Standard Webhooks floors hash a short prefix string in a second \`update()\`, Twilio's is HMAC-SHA1 over the signed string.

- **floor**: \`createHmac(alg, key).update(<signed content>).digest()\` then \`timingSafeEqual\` with the already-decoded signature. No header parsing, no timestamp check, no parse.
- **ours: verify + parse**: the registered scheme's \`verify(request, context, options)\`, exactly as the handler calls it, on an \`InboundRequest\` built by \`toInboundRequest\` from an API Gateway proxy event (base64 body, as deployed). Timed: case-insensitive header lookups, signature-header parsing and hex/base64 decoding, the symmetric timestamp window, the HMAC for every active secret, the constant-time comparison and — after the signature matched — strict UTF-8 decoding and \`JSON.parse\` of the body, plus reading the event ID, type and group key. Not timed: building the \`InboundRequest\` (base64-decoding the event body, done once per request before any scheme runs), the secret fetch, the claim.
- **ours: verify-only**: the same \`verify()\` compiled with its post-verification JSON parse (\`parseJsonBody\`, \`jsonEvent\`) stubbed out (an esbuild plugin replaces those functions), i.e. the signature check alone.
- **floor, binary digest**: the floor with the one trick our \`hmac()\` uses — \`digest('binary')\` re-wrapped by \`Buffer.from\`, which avoids allocating the digest \`Buffer\` outside Node's pool. Our verify-only path divided by this row is the cost of everything that is not cryptography.
- **floor + JSON.parse**: the floor followed by \`JSON.parse(body.toString())\` — the least a verify-then-parse path can cost.
- ¹ the SDK parses the body too (\`constructEvent\` and \`Webhook.verify\` return the parsed event; the Twilio row with "form parse" includes \`querystring.parse\` of the raw body, which \`validateRequest\` needs but does not do). ² the SDK does not parse: octokit takes the payload as a ready string (given to it outside the timing), \`validateRequest\` takes already-parsed form parameters.
- Twilio signs the URL followed by the sorted form parameters, so decoding the form is part of verifying it; "ours: verify()" includes it, and the event-ID digest that follows (SHA-256 over the signed string), which the SDK does not compute. (The 0.1-compatible ID the verifier still reads during the upgrade is computed only when a new claim reads it, so it is not timed here.) The "part of ours" row times the form decoding alone. No HMAC floor bounds a path that must decode the form first, so Twilio has no floor target: its target is to be faster than \`validateRequest\` plus the form parse it needs.
- The deployed verifier refuses bodies above \`maxBodySize\` (256 KiB by default, 4560 KiB at most); the 1 MiB row shows how each cost scales.

${table(['provider', 'body', 'candidate', 'CPU µs (median)', 'spread', '× floor', '95 % interval', 'wall µs (median)'], rows, ['l', 'r', 'l', 'r', 'r', 'r', 'r', 'r'])}

**Against the official SDKs** (SDK time ÷ our time; above 1× means we are faster; "ours faster" is "yes" only if the whole 95 % interval is above 1×). \`twilio.validateRequest (params pre-parsed)\` is shown for context and not counted: it is handed the form already parsed into parameters, work our verify() has to do because the parameters are what Twilio signs; the like-for-like Twilio comparison is \`validateRequest\` + form parse:

${table(['provider', 'body', 'SDK', 'compared with', 'SDK ÷ ours', '95 % interval', 'ours faster'], sdkRows, ['l', 'r', 'l', 'l', 'r', 'r', 'l'])}

**What dominates**

${dominates.map((d) => `- ${d}`).join('\n')}
`;

writeResult('b1', { title: 'B1 — Verification CPU', command: 'npm run build && node --expose-gc bench/b1-verify.mjs', markdown, targets, headline, groups });
process.stdout.write(markdown);
