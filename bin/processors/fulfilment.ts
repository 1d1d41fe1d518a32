// Example processor: fulfils paid orders. Runs once per Stripe event, however often it is delivered,
// and holds one credential: the `orders-write` token, scoped to the fulfilment service and rotated.
import { tokens, webhookProcessor } from '../../lambda/runtime'; // in your app: 'hardened-webhooks-runtime'

interface PaymentIntentEvent {
  readonly type: string;
  readonly data: { readonly object: { readonly id: string; readonly amount?: number; readonly customer?: string } };
}

const FULFILMENT_URL = process.env.FULFILMENT_URL;

export const handler = webhookProcessor(async (event) => {
  if (event.type !== 'payment_intent.succeeded') return;
  const intent = event.json<PaymentIntentEvent>().data.object;
  if (!FULFILMENT_URL) {
    console.log(JSON.stringify({ msg: 'fulfilment service not configured; order noted', eventId: event.id, paymentIntent: intent.id }));
    return;
  }
  // A thrown error retries this event (and holds back later events of the same customer); after
  // maxReceiveCount attempts it goes to the DLQ. The event ID makes the call idempotent downstream too.
  const response = await fetch(`${FULFILMENT_URL}/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await tokens.get('orders-write')}`, 'idempotency-key': event.id, 'content-type': 'application/json' },
    body: JSON.stringify({ paymentIntent: intent.id, amount: intent.amount, customer: intent.customer }),
  });
  if (response.status === 401) tokens.invalidate('orders-write'); // rotated since we cached it: fetch anew on retry
  if (!response.ok) throw new Error(`fulfilment service answered ${response.status}`);
});
