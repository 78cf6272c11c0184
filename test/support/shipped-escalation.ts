// The shipped config/escalation.yaml in a daemon test's world, set up as docs/configuration.md tells an operator to:
// only its environment set (SMTP host, webhook URL, ack-link secret, the CTO's phone), the email channel trusting the
// in-process SMTP server's certificate, and the CTO's phone channels (ntfy, Pushover, Twilio…) added after the shipped two.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { World } from './daemon.js';
import type { WebhookSink } from './webhook-sink.js';

/** The environment the shipped escalation.yaml reads, pointed at the world's sinks. */
export function shippedEnv(world: World): World['env'] {
  return {
    ...world.env,
    SMTP_HOST: '127.0.0.1',
    OPS_WEBHOOK_URL: world.hook.url,
    CENTINELA_ACK_SECRET: 'a-long-random-ack-secret-0123456789',
    CTO_PHONE: '+593 99 123 4567',
  };
}

/**
 * Writes config/escalation.yaml over the world's escalation.yaml, with `ctoChannels` (name → channel config) added
 * to the channels and after the CTO's shipped ones, and sets the world's environment for it.
 */
export function useShippedEscalation(world: World, ctoChannels: Record<string, Record<string, unknown>>): void {
  world.env = shippedEnv(world);
  const doc = parseDocument(readFileSync('config/escalation.yaml', 'utf8'));
  doc.setIn(['channels', 'email', 'smtp', 'tls'], { ca_file: world.env.SMTP_CA_FILE });
  for (const [name, channel] of Object.entries(ctoChannels)) doc.setIn(['channels', name], channel);
  const shipped = (doc.getIn(['contacts', 'cto', 'channels']) as { toJSON(): string[] }).toJSON();
  doc.setIn(['contacts', 'cto', 'channels'], [...shipped, ...Object.keys(ctoChannels)]);
  writeFileSync(join(world.configDir, 'escalation.yaml'), doc.toString());
}

/** An ntfy channel publishing to `sink` (which then answers at its root). */
export function ntfyChannel(sink: WebhookSink): Record<string, unknown> {
  return { kind: 'webhook', format: 'ntfy', server: new URL(sink.path('/')).origin, topic: 'grupogad-cto' };
}
