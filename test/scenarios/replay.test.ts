import { startHarness, type Harness } from '../../local';
import { EffectsTable, STRIPE_SECRET, claimItem, countingProcessor, endpointStack, stripeEvent, stripeHeaders } from '../harness/fixtures';

/**
 * Scenario c: replay of a captured, validly signed request.
 *
 * The verifier's clock is the sandbox clock of the harness: the verifier bundle is evaluated with
 * its own `Date`, so `harness.clock.advance()` moves the verifier's "now" (Jest fake timers cannot
 * reach into the bundle, and the SDK keeps the real clock). The captured request's bytes are
 * re-sent unchanged. A request signed with an old timestamp (t = now − 301 s) models the same
 * thing from the sender's side.
 */
describe('scenario c: replay', () => {
  let effects: EffectsTable;
  let harness: Harness;
  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack();
    harness = await startHarness({ stack, processors: { fulfilment: countingProcessor(effects) } });
    await harness.setSigningSecret(STRIPE_SECRET);
  });
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });
  afterEach(() => harness.clock.reset());

  const verifierCalls = (operation: string) => harness.proxy.count({ role: 'verifier', operation });

  test('a captured request re-sent inside the window is a 200 duplicate, not processed again; after the window it is refused with 401', async () => {
    const { id, body } = stripeEvent();
    const captured = { body, headers: stripeHeaders(body) };
    expect((await harness.post(captured)).json()).toEqual({ status: 'accepted', id });
    await harness.waitForIdle();
    expect(await effects.count('fulfilment', id)).toBe(1);
    const sends = verifierCalls('SendMessage');

    harness.clock.advance(120_000);
    const inside = await harness.post(captured);
    expect(inside.status).toBe(200);
    expect(inside.json()).toEqual({ status: 'duplicate', id });
    await harness.waitForIdle();
    expect(verifierCalls('SendMessage')).toBe(sends);
    expect(await effects.count('fulfilment', id)).toBe(1);

    harness.clock.advance(181_000); // 301 s after signing: outside the 300 s tolerance
    const claims = verifierCalls('PutItem');
    const after = await harness.post(captured);
    expect(after.status).toBe(401);
    expect(after.json()).toMatchObject({ error: 'timestamp_out_of_window' });
    expect(verifierCalls('PutItem')).toBe(claims);
    expect(verifierCalls('SendMessage')).toBe(sends);
    expect(await effects.count('fulfilment', id)).toBe(1);
  });

  test('a never-seen event signed 301 s ago (or 301 s ahead) is refused: nothing claimed, nothing enqueued', async () => {
    // The verifier's clock stands still at `now`: a request slowed by a busy machine is judged at
    // exactly `now`, so "301 s ahead" cannot drift into the window while it travels.
    const now = Math.floor(Date.now() / 1000);
    harness.clock.freeze(now * 1000);
    const sends = verifierCalls('SendMessage');
    for (const timestamp of [now - 301, now + 301]) {
      const { id, body } = stripeEvent();
      const response = await harness.post({ body, headers: stripeHeaders(body, { timestamp }) });
      expect(response.status).toBe(401);
      expect(response.json()).toMatchObject({ error: 'timestamp_out_of_window' });
      expect(await claimItem(harness, id)).toBeUndefined();
    }
    expect(verifierCalls('SendMessage')).toBe(sends);
    // The edges of the window are still inside, in both directions.
    const { id, body } = stripeEvent();
    expect((await harness.post({ body, headers: stripeHeaders(body, { timestamp: now - 300 }) })).json()).toEqual({ status: 'accepted', id });
    const ahead = stripeEvent();
    expect((await harness.post({ body: ahead.body, headers: stripeHeaders(ahead.body, { timestamp: now + 300 }) })).json()).toEqual({ status: 'accepted', id: ahead.id });
    await harness.waitForIdle();
    expect(await effects.count('fulfilment', id)).toBe(1);
  });
});
