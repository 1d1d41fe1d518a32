// Example processor: fulfils paid orders. Runs once per Stripe event, however often it is delivered.
import { webhookProcessor } from '../../lambda/runtime'; // in your app: 'hardened-webhooks/runtime'

interface PaymentIntentEvent {
  readonly type: string;
  readonly data: { readonly object: { readonly id: string; readonly amount?: number; readonly customer?: string } };
}

export const handler = webhookProcessor(async (event) => {
  const payload = event.json<PaymentIntentEvent>();
  if (event.type === 'payment_intent.succeeded') {
    // Call your fulfilment service here; a thrown error retries this event (and holds back later
    // events of the same customer), and after maxReceiveCount attempts it goes to the DLQ.
    console.log(JSON.stringify({ msg: 'fulfil order', eventId: event.id, paymentIntent: payload.data.object.id }));
  }
});
