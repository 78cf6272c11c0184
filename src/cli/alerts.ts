// `centinela alerts [show ID]`: the alerts the daemon holds and whether their pages reached anyone — the delivery truth
// of GET /api/v1/alerts and /api/v1/alerts/{id} (per contact × channel: queued, sent, failing, given up) for a shell.
import { Command, Option } from 'commander';
import { type Clock, systemClock } from '../clock.js';
import { age } from '../duration.js';
import type { AlertDetailView, AlertView, DeliveryView } from '../server/api-shapes.js';
import { formatValue } from '../units.js';
import { type ClientEnv, clientFor, reportFailures, withClientOptions } from './client.js';
import { alignColumns } from './columns.js';
import { parseMatcher } from './silence.js';

/** Whom the pages reached: `ops, cto`, `NOT DELIVERED` when pages went out and reached nobody, `nobody` when none went out. */
function reached(a: AlertView): string {
  if (a.notDelivered) return 'NOT DELIVERED';
  return a.paged.length ? a.paged.join(', ') : 'nobody';
}

/** `paged: ops, cto`, or `NOT DELIVERED`. */
function reach(a: AlertView): string {
  return a.notDelivered ? reached(a) : `paged: ${reached(a)}`;
}

/** How long it has fired (or been pending, or when it resolved), seen at `now`. */
function since(a: AlertView, now: number): string {
  if (a.state === 'resolved' && a.resolvedAt) return `resolved ${age(now - Date.parse(a.resolvedAt))} ago`;
  if (a.activeSince) return age(now - Date.parse(a.activeSince));
  return a.pendingSince ? `pending ${age(now - Date.parse(a.pendingSince))}` : 'pending';
}

const COLUMNS = ['ID', 'PRIORITY', 'STATE', 'ALERTNAME', 'SINCE', 'PAGED', 'ACK', 'HELD', 'SUMMARY'] as const;

/**
 * What holds an alert back, naming the holder so that it can be looked up or ended: `inhibited by ApiDown` (the
 * inhibiting alert's name when it is listed too, else its id), `silenced by sil_3f…`, `maintenance w_…`; `-` when
 * nothing does.
 */
function heldBy(a: AlertView, names: ReadonlyMap<string, string>): string {
  const held = a.suppressedBy.map((s) => {
    if (s.kind === 'inhibited') return `inhibited by ${names.get(s.id) ?? s.id}`;
    return s.kind === 'silenced' ? `silenced by ${s.id}` : `maintenance ${s.id}`;
  });
  return held.join(', ') || '-';
}

/** One row of the table. */
function alertRow(a: AlertView, now: number, names: ReadonlyMap<string, string>): string[] {
  const state = a.flapping ? `${a.state} (flapping)` : a.state;
  return [
    a.id,
    a.priority,
    state,
    a.alertname,
    since(a, now),
    reached(a),
    a.ack?.by ?? '-',
    heldBy(a, names),
    a.summary,
  ];
}

/**
 * `centinela alerts`, amtool's way: a header and one row per alert in aligned columns (id, priority, state, name, how
 * long, whom the pages reached, who acknowledged, what holds it back, summary); `no alerts` when there is none.
 */
export function alertTable(alerts: readonly AlertView[], now: number): string {
  if (alerts.length === 0) return 'no alerts';
  const names = new Map(alerts.map((a) => [a.id, a.alertname]));
  return alignColumns([[...COLUMNS], ...alerts.map((a) => alertRow(a, now, names))]).join('\n');
}

/** `oncall · email  failing  3 attempts  last error: connect ECONNREFUSED 127.0.0.1:9`. */
export function deliveryLine(x: DeliveryView): string {
  const attempts = `${x.attempts} attempt${x.attempts === 1 ? '' : 's'}`;
  const what = [`${x.contact} · ${x.channel}`, x.status, attempts];
  if (x.at) what.push(`sent at ${x.at}`);
  if (x.lastError && x.status !== 'sent') what.push(`last error: ${x.lastError}`);
  return what.join('  ');
}

/** `centinela alerts show ID`: the alert's facts, then one line per contact × channel. */
export function alertDetail(a: AlertDetailView, now: number): string {
  const labels = Object.entries(a.labels).map(([k, v]) => `${k}="${v}"`);
  const lines = [
    `${a.id}  ${a.priority}  ${a.state}  ${a.alertname}${a.flapping ? '  (flapping)' : ''}`,
    `summary: ${a.summary}`,
    ...(a.description ? [`description: ${a.description}`] : []),
    `labels: {${labels.join(', ')}}`,
    `value: ${formatValue(a.value, a.unit, 'en')} (${a.op} ${formatValue(a.threshold, a.unit, 'en')})`,
    a.activeSince
      ? `firing since: ${a.activeSince} (${age(now - Date.parse(a.activeSince))})`
      : 'firing since: pending',
    ...(a.resolvedAt ? [`resolved at: ${a.resolvedAt}`] : []),
    ...a.suppressedBy.map((s) => `suppressed by ${s.kind} ${s.id}`),
    a.ack
      ? `acknowledged: by ${a.ack.by} at ${a.ack.at}${a.ack.comment ? ` — ${a.ack.comment}` : ''}`
      : 'acknowledged: no',
    a.notDelivered ? 'NOT DELIVERED: pages went out and none has reached anyone yet' : reach(a),
    'deliveries:',
    ...(a.deliveries.length ? a.deliveries.map((x) => `  ${deliveryLine(x)}`) : ['  none: no page was sent']),
    ...(a.runbook.length ? ['runbook:', ...a.runbook.map((step) => `  ${step}`)] : []),
  ];
  return lines.join('\n');
}

type Opts = { url?: string; token?: string; json?: boolean };
type ListOpts = Opts & { state?: string; priority?: string; output: 'table' | 'json' };

/** The `alerts` command (a list) and its `show` subcommand. */
export function alertsCommand(env: ClientEnv, clock: Clock = systemClock): Command {
  const show = withClientOptions(
    new Command('show')
      .description(
        'one alert: its facts, and where each page stands per contact and channel (status, attempts, sent at or last error)',
      )
      .argument('<id>', 'alert id, as `centinela alerts` lists it')
      .option('--json', 'print the API answer as JSON'),
  ).action(
    reportFailures('alerts show', async (id: string, opts: Opts) => {
      const { alert } = await clientFor(opts, env).call<{ alert: AlertDetailView }>(
        'GET',
        `/api/v1/alerts/${encodeURIComponent(id)}`,
      );
      console.log(opts.json ? JSON.stringify(alert, null, 2) : alertDetail(alert, clock.now()));
    }),
  );

  const list = withClientOptions(
    new Command('list')
      .description(
        'list alerts, amtool-style: pending and firing by default, what the status page shows; a table of id, ' +
          'priority, state, name, age, whom the pages reached (NOT DELIVERED when nobody), who acknowledged, what ' +
          'holds it back and summary; what `centinela alerts` does',
      )
      .argument(
        '[matcher...]',
        'label matchers, all of which must hold, as silences write them: alertname=ApiDown, priority=~P0|P1, ' +
          'service!=api (priority is matchable like a label)',
        (text: string, previous: string[] = []) => {
          parseMatcher(text); // refuses what is no matcher or no regex, with the message silences give
          return [...previous, text];
        },
      )
      .option('-s, --state <state>', 'only alerts in this state: pending, firing or resolved')
      .option('-p, --priority <priority>', 'only alerts of this priority: P0, P1, P2 or P3')
      .addOption(
        new Option('-o, --output <format>', 'table, or json: the API answer')
          .choices(['table', 'json'])
          .default('table'),
      )
      .addOption(new Option('--json', 'same as -o json').conflicts('output')),
  ).action(
    reportFailures('alerts', async (match: string[] | undefined, opts: ListOpts) => {
      const query = new URLSearchParams({
        ...(opts.state ? { state: opts.state } : {}),
        ...(opts.priority ? { priority: opts.priority } : {}),
      });
      for (const text of match ?? []) query.append('match', text);
      const path = `/api/v1/alerts${query.size ? `?${query}` : ''}`;
      const { alerts } = await clientFor(opts, env).call<{ alerts: AlertView[] }>('GET', path);
      const json = opts.json || opts.output === 'json';
      console.log(json ? JSON.stringify(alerts, null, 2) : alertTable(alerts, clock.now()));
    }),
  );

  // `alerts` alone lists; each subcommand has its own --url and --token, so `alerts` itself takes no option.
  return new Command('alerts')
    .description('alerts and whether their pages reached anyone (NOT DELIVERED when they reached nobody)')
    .addCommand(list, { isDefault: true })
    .addCommand(show);
}
