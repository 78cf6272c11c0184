// The HTTP request a webhook format renders: the webhook notifier sends these in order.
import type { Secret } from '../../config/secret.js';

/** One POST; the URL and some headers are secrets (tokens in paths and headers) revealed only when sent. */
export interface HttpRequest {
  url: Secret;
  headers: Record<string, string | Secret>;
  body: string;
}

/** A JSON POST to `url`. */
export function jsonPost(url: Secret, value: unknown, headers: Record<string, string | Secret> = {}): HttpRequest {
  return { url, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}
