// The shipped config/escalation.yaml in a daemon test's world, set up as docs/configuration.md tells an operator to:
// only its environment set (SMTP host, webhook URL, ack-link secret, ntfy server and topics, the CTO's phone), the
// email channel trusting the in-process SMTP server's certificate. The shipped ntfy channels publish to a loopback
// receiver through NTFY_SERVER; channels the file does not ship (Pushover, Twilio…) can be added after the CTO's.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { World } from './daemon.js';
import { SHIPPED_ENV } from './shipped-env.js';
import type { WebhookSink } from './webhook-sink.js';

/** The environment the shipped escalation.yaml reads, pointed at the world's sinks and at `ntfy` (answering at its root). */
function shippedEnv(world: World, ntfy: WebhookSink): World['env'] {
  return {
    ...SHIPPED_ENV,
    ...world.env,
    SMTP_HOST: '127.0.0.1',
    OPS_WEBHOOK_URL: world.hook.url,
    CENTINELA_ACK_SECRET: 'a-long-random-ack-secret-0123456789',
    CTO_PHONE: '+593 99 123 4567',
    NTFY_SERVER: new URL(ntfy.path('/')).origin,
  };
}

/**
 * Writes config/escalation.yaml over the world's escalation.yaml, its ntfy channels publishing to `ntfy`, with
 * `ctoChannels` (name → channel config) added to the channels and after the CTO's shipped ones, and sets the world's
 * environment for it.
 */
export function useShippedEscalation(
  world: World,
  ntfy: WebhookSink,
  ctoChannels: Record<string, Record<string, unknown>> = {},
): void {
  world.env = shippedEnv(world, ntfy);
  const doc = parseDocument(readFileSync('config/escalation.yaml', 'utf8'));
  doc.setIn(['channels', 'email', 'smtp', 'tls'], { ca_file: world.env.SMTP_CA_FILE });
  for (const [name, channel] of Object.entries(ctoChannels)) doc.setIn(['channels', name], channel);
  const shipped = (doc.getIn(['contacts', 'cto', 'channels']) as { toJSON(): string[] }).toJSON();
  doc.setIn(['contacts', 'cto', 'channels'], [...shipped, ...Object.keys(ctoChannels)]);
  writeFileSync(join(world.configDir, 'escalation.yaml'), doc.toString());
}
