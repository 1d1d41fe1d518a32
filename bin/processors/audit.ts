// Example processor: records every event in an audit trail, once, with an append-only token.
import { tokens, webhookProcessor } from '../../lambda/runtime'; // in your app: 'hardened-webhooks-runtime'

const AUDIT_URL = process.env.AUDIT_URL;

export const handler = webhookProcessor(async (event) => {
  const entry = { eventId: event.id, type: event.type, provider: event.provider, receivedAt: event.receivedAt.toISOString(), bytes: event.rawBody.length };
  if (!AUDIT_URL) {
    console.log(JSON.stringify({ msg: 'audit', ...entry }));
    return;
  }
  const response = await fetch(`${AUDIT_URL}/entries`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${await tokens.get('audit-append')}`, 'content-type': 'application/json' },
    body: JSON.stringify(entry),
  });
  if (response.status === 401) tokens.invalidate('audit-append');
  if (!response.ok) throw new Error(`audit store answered ${response.status}`);
});
