// The notifier registry: a literal list, and the one lookup from a channel's `kind:` to its notifier.
import { configScrubber } from '../config/env-values.js';
import type { ChannelConfig } from '../config/schema.js';
import email from './email.js';
import type { Delivery, Notification, NotifierKind, SendContext } from './notifier.js';
import webhook, { FORMATS } from './webhook.js';

/** Every notifier kind; `kind` equals the file name and the YAML `kind:`. */
export const NOTIFIERS = [email, webhook] as const;

/** Renders and sends a notification over one channel; never throws. */
export async function deliver(n: Notification, channel: ChannelConfig, ctx: SendContext): Promise<Delivery> {
  let delivery: Delivery;
  try {
    // The registry pairs each kind with its own config type; the lookup by `kind` keeps that pairing.
    const notifier = NOTIFIERS.find((k) => k.kind === channel.kind) as unknown as NotifierKind<ChannelConfig, unknown>;
    delivery = await notifier.send(notifier.render(n, channel), ctx);
  } catch (err) {
    // A bug in a renderer must not stop the outbox; it is reported as a final failure of this delivery.
    delivery = { ok: false, retryable: false, reason: `${channel.kind}: ${(err as Error).message}` };
  }
  // A host, URL or address from the environment (${SMTP_HOST}, ${OPS_WEBHOOK_URL}, ${SMTP_FROM}, the contact's
  // ${CTO_EMAIL}) is named by its key, never quoted: receivers echo a refused address in their answer.
  if (delivery.ok) return delivery;
  const reason = [channel, n.contact].reduce((text, c) => configScrubber(c, { urlPaths: true })(text), delivery.reason);
  return { ...delivery, reason };
}

/**
 * True when the channel keeps an incident of its own that must be told of the ack and the resolution (PagerDuty),
 * so every such channel that delivered something of an incident hears both; the format's file declares it.
 */
export function hearsIncidentUpdates(channel: ChannelConfig): boolean {
  return channel.kind === 'webhook' && FORMATS[channel.format].hearsIncidentUpdates === true;
}
