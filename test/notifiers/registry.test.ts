// The notifier registry is complete and consistent: every channel kind and webhook format is registered under its
// file name and has a test that runs the conformance suite, and only a format that declares it hears incident updates.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ChannelConfig, channelConfig, webhookChannel } from '../../src/config/schema.js';
import { hearsIncidentUpdates, NOTIFIERS } from '../../src/notifiers/index.js';
import { FORMATS } from '../../src/notifiers/webhook.js';

const formatsDir = new URL('../../src/notifiers/formats/', import.meta.url);
const testFile = (path: string) => new URL(path, import.meta.url);
const configFormats = webhookChannel.options.map((o) => o.shape.format.value as string);

/** Each .ts file in src/notifiers/formats/ with the format it default-exports, if it declares one. */
const files = await Promise.all(
  readdirSync(formatsDir)
    .filter((f) => f.endsWith('.ts'))
    .map(async (file) => {
      const exported: unknown = (await import(new URL(file, formatsDir).href)).default;
      const declared = exported as { format?: unknown; render?: unknown } | undefined;
      const format = typeof declared?.format === 'string' && typeof declared.render === 'function';
      return { file, format: format ? (declared?.format as string) : undefined };
    }),
);

/** A channel of each kind and format, from the YAML an operator writes. */
const CHANNELS: Record<string, ChannelConfig> = {
  email: channelConfig.parse({ kind: 'email', smtp: { host: 'mail.example', from: 'centinela@example.com' } }),
  generic: channelConfig.parse({ kind: 'webhook', format: 'generic', url: 'https://hooks.example/x' }),
  slack: channelConfig.parse({ kind: 'webhook', format: 'slack', url: 'https://hooks.slack.com/services/T/B/X' }),
  teams: channelConfig.parse({ kind: 'webhook', format: 'teams', url: 'https://teams.example/workflow' }),
  pagerduty: channelConfig.parse({ kind: 'webhook', format: 'pagerduty', routing_key: 'R' }),
  telegram: channelConfig.parse({ kind: 'webhook', format: 'telegram', bot_token: 't', chat_id: 1 }),
};

describe('notifier registry', () => {
  it('registers every format of the configuration language, each from the file named after it', () => {
    expect(Object.keys(FORMATS).sort()).toEqual([...configFormats].sort());
    const misplaced = Object.values(FORMATS)
      .filter((f) => files.find((file) => file.format === f.format)?.file !== `${f.format}.ts`)
      .map((f) => f.format);
    expect(misplaced, 'src/notifiers/formats/<format>.ts must default-export defineFormat({ format })').toEqual([]);
  });

  it('registers every file in formats/ that declares a format', () => {
    const unregistered = files.filter((f) => f.format && !(f.format in FORMATS)).map((f) => f.file);
    expect(unregistered, 'add these to FORMATS in src/notifiers/webhook.ts').toEqual([]);
  });

  it('has a test running the conformance suite for every webhook format and every other channel kind', () => {
    const missing = [
      ...Object.keys(FORMATS).map((f) => [`./formats/${f}.test.ts`, `webhookConformance('${f}'`]),
      ...NOTIFIERS.filter((n) => n.kind !== 'webhook').map((n) => [`./${n.kind}.test.ts`, `${n.kind}Conformance(`]),
    ].filter(
      ([path = '', call = '']) => !existsSync(testFile(path)) || !readFileSync(testFile(path), 'utf8').includes(call),
    );
    expect(missing, 'each needs its test file calling the conformance suite').toEqual([]);
  });

  it('knows every channel kind of the configuration language', () => {
    const kinds = channelConfig.options.map((o) => ('shape' in o ? o.shape : o.options[0].shape).kind.value as string);
    expect(NOTIFIERS.map((n) => n.kind).sort()).toEqual(kinds.sort());
  });

  it.each(Object.entries(CHANNELS))('%s hears incident updates only if it keeps incidents (PagerDuty)', (name, cfg) => {
    expect(hearsIncidentUpdates(cfg)).toBe(name === 'pagerduty');
  });

  it('covers every format in the incident-updates table', () => {
    expect(Object.keys(CHANNELS).sort()).toEqual([...configFormats, 'email'].sort());
  });
});
