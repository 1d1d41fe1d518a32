import type { ProviderSender } from '../provider';
import { standardWebhooksFamily } from './standard-webhooks';

/** Svix: the Standard Webhooks scheme under `svix-*` header names, as Svix's dispatcher sends it. */
export const svixSender: ProviderSender = standardWebhooksFamily({
  id: 'svix',
  name: 'Svix',
  family: 'svix',
  defaultEventType: 'invoice.paid',
  exampleEventTypes: ['invoice.paid', 'user.created', 'user.deleted'],
  userAgent: 'Svix-Webhooks/1.0 (sender; +https://www.svix.com/http-sender/)',
});
