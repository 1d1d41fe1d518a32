import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { isoBefore, type SigningTime } from '../support/clock';
import { describeRequest } from '../support/describe';
import { JSON_CONTENT_TYPE } from '../support/headers';
import { jsonBytes } from '../support/json';
import { hmac } from '../support/mac';
import type { Random } from '../support/random';

const API_VERSION = '2025-07';
const SHOP = 'acme-test.myshopify.com';

/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64>`, HMAC-SHA256 over the raw body with the app's client
 * secret. The topic, shop, API version, webhook and event IDs and trigger time travel in unsigned
 * headers; Events deliveries use the same names without `X-` (`headerStyle: 'shopify'`).
 */
export const shopifySender: ProviderSender = {
  id: 'shopify',
  options: ['headerStyle'],
  name: 'Shopify',
  defaultEventType: 'orders/create',
  exampleEventTypes: ['orders/create', 'orders/paid', 'orders/updated', 'products/update', 'customers/create', 'app/uninstalled'],
  signsTimestamp: () => false,
  build(context: BuildContext): BuiltRequest {
    const { input, random, at, eventType: topic } = context;
    const body = input.body ?? jsonBytes(resource(topic, random, at));
    const eventId = input.eventId ?? random.uuid();
    const shopifyHeaders = {
      Topic: topic,
      'Hmac-Sha256': hmac('sha256', input.secret, body).toString('base64'),
      'Shop-Domain': SHOP,
      'API-Version': API_VERSION,
      'Webhook-Id': random.uuid(),
      'Event-Id': eventId,
      'Triggered-At': at.iso,
    };
    const prefix = context.options.headerStyle === 'shopify' ? 'shopify-' : 'X-Shopify-';
    const named = Object.entries(shopifyHeaders).map(([name, value]) => [prefix === 'shopify-' ? `${prefix}${name.toLowerCase()}` : `${prefix}${name}`, value]);
    return {
      headers: { 'Content-Type': JSON_CONTENT_TYPE, 'User-Agent': 'Shopify-Captain-Hook', Accept: '*/*', ...Object.fromEntries(named) },
      body,
      eventId,
      eventType: topic,
      description: describeRequest('Shopify', topic, eventId, `${prefix}Hmac-Sha256 = base64 HMAC-SHA256 over the body`),
    };
  },
};

/** The resource the topic is about, as Shopify renders it for webhooks (`orders/*` an order, …). */
function resource(topic: string, random: Random, at: SigningTime): Record<string, unknown> {
  const [kind] = topic.split('/');
  if (kind === 'orders') return order(topic, random, at);
  if (kind === 'products') return product(random, at);
  if (kind === 'customers') return customer(random, at);
  if (kind === 'app') return { id: Number(random.digits(11)), name: 'Acme Test', email: 'owner@example.com', domain: SHOP, myshopify_domain: SHOP, plan_name: 'partner_test' };
  const id = Number(random.digits(13));
  return { id, admin_graphql_api_id: `gid://shopify/${kind}/${id}`, created_at: at.iso, updated_at: at.iso };
}

function order(topic: string, random: Random, at: SigningTime): Record<string, unknown> {
  const id = Number(random.digits(13));
  const number = random.integer(1001, 9999);
  const paid = topic !== 'orders/create';
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    app_id: Number(random.digits(6)),
    buyer_accepts_marketing: false,
    cancel_reason: null,
    cancelled_at: null,
    checkout_id: Number(random.digits(14)),
    confirmation_number: random.chars(9, 'ABCDEFGHJKLMNPQRSTUVWXYZ'),
    confirmed: true,
    contact_email: 'bob@example.com',
    created_at: isoBefore(at, 1),
    currency: 'USD',
    current_subtotal_price: '59.00',
    current_total_price: '64.90',
    current_total_tax: '5.90',
    email: 'bob@example.com',
    financial_status: paid ? 'paid' : 'pending',
    fulfillment_status: null,
    name: `#${number}`,
    order_number: number,
    processed_at: isoBefore(at, 1),
    subtotal_price: '59.00',
    tags: '',
    test: true,
    total_price: '64.90',
    total_tax: '5.90',
    updated_at: at.iso,
    customer: { id: Number(random.digits(13)), email: 'bob@example.com', first_name: 'Bob', last_name: 'Norman', verified_email: true },
    line_items: [{ id: Number(random.digits(14)), name: 'Aeropress Coffee Maker', price: '59.00', product_id: Number(random.digits(13)), quantity: 1, sku: 'AP-01', title: 'Aeropress Coffee Maker', variant_id: Number(random.digits(14)), requires_shipping: true }],
    shipping_address: { first_name: 'Bob', last_name: 'Norman', address1: '123 Amoebobacterieae St', city: 'Ottawa', province: 'Ontario', country: 'Canada', zip: 'K2P0V6', country_code: 'CA' },
  };
}

function product(random: Random, at: SigningTime): Record<string, unknown> {
  const id = Number(random.digits(13));
  return {
    id, admin_graphql_api_id: `gid://shopify/Product/${id}`, title: 'Aeropress Coffee Maker', handle: 'aeropress-coffee-maker', status: 'active', vendor: 'Acme', product_type: 'Coffee',
    created_at: isoBefore(at, 86_400), updated_at: at.iso, published_at: isoBefore(at, 86_400), tags: 'coffee',
    variants: [{ id: Number(random.digits(14)), product_id: id, title: 'Default Title', price: '59.00', sku: 'AP-01', inventory_quantity: 12 }],
  };
}

function customer(random: Random, at: SigningTime): Record<string, unknown> {
  const id = Number(random.digits(13));
  return { id, admin_graphql_api_id: `gid://shopify/Customer/${id}`, email: 'bob@example.com', first_name: 'Bob', last_name: 'Norman', state: 'disabled', verified_email: true, created_at: at.iso, updated_at: at.iso, tags: '', currency: 'USD' };
}
