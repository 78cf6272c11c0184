// `centinela alerts [show ID]`: the alerts the daemon holds and whether their pages reached anyone — the delivery truth
// of GET /api/v1/alerts and /api/v1/alerts/{id} (per contact × channel: queued, sent, failing, given up) for a shell.
import { Command } from 'commander';
import { type Clock, systemClock } from '../clock.js';
import { age } from '../duration.js';
import type { AlertDetailView, AlertView, DeliveryView } from '../server/api-shapes.js';
import { type ClientEnv, clientFor, reportFailures, withClientOptions } from './client.js';

/** `paged: ops, cto`, `NOT DELIVERED` when pages went out and reached nobody, `paged: nobody` when none went out. */
function reach(a: AlertView): string {
  if (a.notDelivered) return 'NOT DELIVERED';
  return `paged: ${a.paged.length ? a.paged.join(', ') : 'nobody'}`;
}

/** How long it has fired (or "pending", or when it resolved), seen at `now`. */
function since(a: AlertView, now: number): string {
  if (a.state === 'resolved' && a.resolvedAt) return `resolved ${age(now - Date.parse(a.resolvedAt))} ago`;
  return a.activeSince ? age(now - Date.parse(a.activeSince)) : 'pending';
}

/** One line of `centinela alerts`: id, priority, state, name, age, and whom its pages reached. */
export function alertLine(a: AlertView, now: number): string {
  return [a.id, a.priority, a.state.padEnd(8), a.alertname, since(a, now), reach(a)].join('  ');
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
    `value: ${a.value} (${a.op} ${a.threshold})`,
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
        'list pending and firing alerts: id, priority, state, name, age, and whom the pages reached ' +
          '(NOT DELIVERED when they reached nobody); what `centinela alerts` does',
      )
      .option('-s, --state <state>', 'only alerts in this state: pending, firing or resolved')
      .option('-p, --priority <priority>', 'only alerts of this priority: P0, P1, P2 or P3')
      .option('--json', 'print the API answer as JSON'),
  ).action(
    reportFailures('alerts', async (opts: Opts & { state?: string; priority?: string }) => {
      const query = new URLSearchParams({
        ...(opts.state ? { state: opts.state } : {}),
        ...(opts.priority ? { priority: opts.priority } : {}),
      }).toString();
      const { alerts } = await clientFor(opts, env).call<{ alerts: AlertView[] }>(
        'GET',
        `/api/v1/alerts${query ? `?${query}` : ''}`,
      );
      const now = clock.now();
      if (opts.json) console.log(JSON.stringify(alerts, null, 2));
      else console.log(alerts.length ? alerts.map((a) => alertLine(a, now)).join('\n') : 'no alerts');
    }),
  );

  // `alerts` alone lists; each subcommand has its own --url and --token, so `alerts` itself takes no option.
  return new Command('alerts')
    .description('alerts and whether their pages reached anyone (NOT DELIVERED when they reached nobody)')
    .addCommand(list, { isDefault: true })
    .addCommand(show);
}
