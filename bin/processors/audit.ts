// Example processor: records every event in an audit trail, once.
import { webhookProcessor } from '../../lambda/runtime'; // in your app: 'hardened-webhooks/runtime'

export const handler = webhookProcessor(async (event) => {
  console.log(JSON.stringify({ msg: 'audit', eventId: event.id, type: event.type, provider: event.provider, receivedAt: event.receivedAt.toISOString(), bytes: event.rawBody.length }));
});
