/** Our own User-Agent, for providers whose sender's User-Agent we could not confirm. */
export const SEND_USER_AGENT = 'hardened-webhooks-send/0.1';

export const JSON_CONTENT_TYPE = 'application/json';
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
