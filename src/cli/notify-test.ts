// `centinela notify-test --contact NAME [--channel NAME|KIND] [--config DIR]`: sends a clearly marked test page
// through each of a contact's channels, once each, and reports per channel "delivered" or the exact error.
import { Command } from 'commander';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import type { ChannelConfig, EscalationFile } from '../config/schema.js';
import { DEFAULT_READING, type Reading, readingOf, t } from '../locale/locale.js';
import { deliver } from '../notifiers/index.js';
import { type Notification, recipient } from '../notifiers/notifier.js';
import { type ConfigCommandDeps, commandLogger, configOption, loadOrReport, shellRun } from './config-command.js';

/** One channel's outcome. */
export interface NotifyTestResult {
  channel: string;
  /** `email`, or `webhook/<format>`. */
  kind: string;
  ok: boolean;
  /** `delivered`, or the reason it was not (no secrets). */
  detail: string;
}

// A test page that hangs longer than this is reported as an error rather than left waiting.
const EMAIL_TIMEOUT_MS = 30_000;

function kindOf(c: ChannelConfig): string {
  return c.kind === 'email' ? 'email' : `webhook/${c.format}`;
}

/** The test page for `contact`: one item of kind `test`, marked as such in every format, in the team's language. */
function testPage(contact: string, cfg: EscalationFile, now: number, reading: Reading): Notification {
  const person = cfg.contacts[contact];
  const lang = reading.locale;
  return {
    id: `test-${contact}-${now}`,
    contact: recipient(contact, person),
    at: now,
    reading,
    items: [
      {
        key: `test:${contact}:${now}`,
        kind: 'test',
        incidentId: 0,
        level: 'P3',
        responseTimeMs: 0,
        openedAt: now,
        paged: [contact],
        alert: {
          id: 'centinela:test',
          alertname: 'CentinelaTest',
          labels: { alertname: 'CentinelaTest' },
          priority: 'P3',
          value: 0,
          threshold: 0,
          op: '==',
          summary: t(lang, 'test.summary', { contact }),
          description: t(lang, 'test.description'),
          runbook: [t(lang, 'test.runbook')],
          diagnosis: [],
          groupKey: 'CentinelaTest',
          activeSince: now,
          flapping: false,
          suppressedBy: [],
          inhibits: [],
        },
      },
    ],
  };
}

/**
 * Sends the test page over each of the contact's channels (or only those whose name, kind or format is `only`).
 * Throws an Error naming what exists when the contact or the channel filter matches nothing.
 */
export async function notifyTest(opts: {
  config: EscalationFile;
  /** The language and time zone of the page (centinela.yaml); English and UTC when omitted. */
  reading?: Reading;
  contact: string;
  only?: string;
  clock: Clock;
  log: Logger;
}): Promise<NotifyTestResult[]> {
  const { config, contact, only, clock } = opts;
  const person = config.contacts[contact];
  if (!person) {
    throw new Error(`no contact "${contact}" in escalation.yaml. Defined: ${Object.keys(config.contacts).join(', ')}`);
  }
  const names = person.channels.filter((name) => {
    const c = config.channels[name];
    return !only || name === only || c?.kind === only || (c?.kind === 'webhook' && c.format === only);
  });
  if (names.length === 0) {
    throw new Error(
      `contact "${contact}" has no channel matching "${only}". Its channels: ${person.channels.join(', ') || '(none)'}`,
    );
  }
  const page = testPage(contact, config, clock.now(), opts.reading ?? DEFAULT_READING);
  const results: NotifyTestResult[] = [];
  for (const name of names) {
    const channel = config.channels[name];
    if (!channel) {
      results.push({
        channel: name,
        kind: '?',
        ok: false,
        detail: `channel "${name}" is not defined in escalation.yaml`,
      });
      continue;
    }
    const ac = new AbortController();
    const cancel = clock.setTimeout(
      () => ac.abort(new Error('timed out')),
      channel.kind === 'webhook' ? channel.timeout : EMAIL_TIMEOUT_MS,
    );
    const d = await deliver(page, channel, {
      signal: ac.signal,
      log: opts.log.child({ channel: name }),
      now: () => clock.now(),
    });
    cancel();
    results.push({ channel: name, kind: kindOf(channel), ok: d.ok, detail: d.ok ? 'delivered' : d.reason });
  }
  return results;
}

/** The `notify-test` command. */
export function notifyTestCommand(deps: ConfigCommandDeps): Command {
  return new Command('notify-test')
    .description("send a marked test page through each of a contact's channels and report delivery per channel")
    .requiredOption('--contact <name>', 'contact from escalation.yaml')
    .option('--channel <name|kind>', 'only this channel (its name, email, webhook or a webhook format)')
    .addOption(configOption())
    .option('--json', 'print JSON: { contact, results: [{ channel, kind, ok, detail }] }')
    .action(async (opts: { contact: string; channel?: string; config?: string; json?: boolean }) => {
      const run = shellRun(deps, opts.config);
      const log = commandLogger(deps);
      const config = log && (await loadOrReport(run));
      if (!log || !config) {
        process.exitCode = 2;
        return;
      }
      try {
        const results = await notifyTest({
          config: config.escalation,
          reading: readingOf(config.centinela),
          contact: opts.contact,
          only: opts.channel,
          clock: systemClock,
          log,
        });
        if (opts.json) run.out(JSON.stringify({ contact: opts.contact, results }, null, 2));
        else
          for (const r of results) {
            run.out(`${opts.contact} via ${r.channel} (${r.kind}): ${r.ok ? 'delivered' : `FAILED — ${r.detail}`}`);
          }
        process.exitCode = results.every((r) => r.ok) ? 0 : 1;
      } catch (err) {
        run.err(`notify-test: ${(err as Error).message}`);
        process.exitCode = 2;
      }
    });
}
