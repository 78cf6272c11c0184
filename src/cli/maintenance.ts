// `centinela maintenance start|end|list`: the deploy flow — open a window that mutes the named probes' alerts and
// closes by itself when they pass again; if they are not back by --max, that is a page.
import { Command, Option } from 'commander';
import { type MatcherFields, selectorText } from '../matchers.js';
import type { MaintenanceView } from '../server/api-shapes.js';
import {
  type ApiClient,
  author,
  type ClientEnv,
  ClientError,
  clientFor,
  reportFailures,
  withClientOptions,
} from './client.js';
import { parseMatcher } from './silence.js';

function describe(w: MaintenanceView): string {
  const what = w.kind === 'one-shot' ? `probes ${w.probes.join(',')}` : `recurring ${w.name ?? ''}`;
  const holds = w.matchers.length ? `  holds ${selectorText(w.matchers)}` : '';
  const end =
    w.state === 'open' ? `until ${w.endsAt} at the latest` : `closed ${w.closedAt ?? ''} ${w.closedBecause ?? ''}`;
  const unreadable = w.unreadable
    ? `  — its matchers cannot be read (${w.unreadable}): it holds back nothing. End it and open it again`
    : '';
  return `${w.id}  ${w.state.padEnd(6)}  ${what}${holds}  ${end}${w.reason ? `  — ${w.reason}` : ''}${unreadable}`;
}

/** The one open one-shot window, when `maintenance end` is given no id. */
async function onlyOpenWindow(client: ApiClient): Promise<string> {
  const { windows } = await client.call<{ windows: MaintenanceView[] }>('GET', '/api/v1/maintenance?state=open');
  const oneShot = windows.filter((w) => w.kind === 'one-shot');
  const [first] = oneShot;
  if (!first) throw new ClientError('MAINTENANCE_NOT_FOUND', 'no maintenance window is open');
  if (oneShot.length > 1) {
    throw new ClientError(
      'AMBIGUOUS',
      `${oneShot.length} windows are open (${oneShot.map((w) => w.id).join(', ')}): name one`,
    );
  }
  return first.id;
}

type Opts = { url?: string; token?: string };

/** The probes of a comma-separated --probes. */
export function probeList(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** The `maintenance` command and its subcommands. */
export function maintenanceCommand(env: ClientEnv): Command {
  const maintenance = new Command('maintenance').description('maintenance windows for deploys');

  maintenance.addCommand(
    withClientOptions(
      new Command('start')
        .description(
          "open a window: the probes' alerts are held back until they pass again or --max passes; refused while " +
            'another open window has one of the probes',
        )
        .requiredOption('-p, --probes <names>', 'comma-separated probe names whose recovery closes the window')
        .requiredOption(
          '--max <duration>',
          'longest the window stays open, e.g. 15m; still down then means a page. At most evaluation.window_max for ' +
            'the alerts it holds back (default: 1h when it could hold back a P0)',
        )
        .option(
          '--settle <duration>',
          'a probe that never fails counts as back only after this long (default 2m); cover the deploy, e.g. 5m',
        )
        .requiredOption('-r, --reason <text>', 'why, for the record (e.g. "deploy v1.2")')
        .option(
          '-m, --match <matcher>',
          'hold back only matching alerts (repeatable); every alert when omitted',
          parseMatcher,
        )
        .option('--by <name>', 'who opens it (default: $USER)')
        .option(
          '--force',
          'open it even if --match names an alert or probe that no rule or probe of the running config has',
        )
        .option('-q, --quiet', 'print only the window id')
        .addOption(
          new Option('--json', 'print the window as JSON, as `maintenance list --json` lists it').conflicts('quiet'),
        ),
    ).action(
      reportFailures(
        'maintenance start',
        async (
          opts: Opts & {
            probes: string;
            max: string;
            settle?: string;
            reason: string;
            match?: MatcherFields[];
            by?: string;
            force?: boolean;
            quiet?: boolean;
            json?: boolean;
          },
        ) => {
          const body = {
            probes: probeList(opts.probes),
            max: opts.max,
            ...(opts.settle ? { settle: opts.settle } : {}),
            ...(opts.match ? { match: opts.match } : {}),
            reason: opts.reason,
            by: author(opts, env),
            ...(opts.force ? { force: true } : {}),
          };
          const { window: w } = await clientFor(opts, env).call<{ window: MaintenanceView }>(
            'POST',
            '/api/v1/maintenance',
            body,
          );
          console.log(opts.json ? JSON.stringify(w, null, 2) : opts.quiet ? w.id : describe(w));
        },
      ),
    ),
  );

  maintenance.addCommand(
    withClientOptions(
      new Command('end')
        .description('close a window now (the only open one when no id is given)')
        .argument('[id]', 'window id')
        .option('--by <name>', 'who closes it (default: $USER)')
        .option('--json', 'print the closed window as JSON'),
    ).action(
      reportFailures(
        'maintenance end',
        async (id: string | undefined, opts: Opts & { by?: string; json?: boolean }) => {
          const client = clientFor(opts, env);
          const target = id ?? (await onlyOpenWindow(client));
          const { window: w } = await client.call<{ window: MaintenanceView }>(
            'POST',
            `/api/v1/maintenance/${encodeURIComponent(target)}/end`,
            { by: author(opts, env) },
          );
          console.log(opts.json ? JSON.stringify(w, null, 2) : describe(w));
        },
      ),
    ),
  );

  maintenance.addCommand(
    withClientOptions(new Command('list').description('list open windows').option('--json', 'print JSON')).action(
      reportFailures('maintenance list', async (opts: Opts & { json?: boolean }) => {
        const { windows } = await clientFor(opts, env).call<{ windows: MaintenanceView[] }>(
          'GET',
          '/api/v1/maintenance?state=open',
        );
        if (opts.json) console.log(JSON.stringify(windows, null, 2));
        else console.log(windows.length ? windows.map(describe).join('\n') : 'no open maintenance windows');
      }),
    ),
  );
  return maintenance;
}
