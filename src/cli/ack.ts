// `centinela ack ID [--comment TEXT]`: acknowledges a firing alert through the API, stopping reminders and escalation.
import { Command } from 'commander';
import type { AckView } from '../server/api-shapes.js';
import { author, type ClientEnv, clientFor, reportFailures, withClientOptions } from './client.js';

/** The `ack` command. */
export function ackCommand(env: ClientEnv): Command {
  return withClientOptions(
    new Command('ack')
      .description('acknowledge a firing alert: reminders and escalation stop for it')
      .argument('<id>', 'alert id, as shown by the status page, the page itself or GET /api/v1/alerts')
      .option('-c, --comment <text>', 'what you are doing about it, kept with the acknowledgement')
      .option('--by <name>', 'who acknowledges (default: $USER)')
      .option('--json', 'print the acknowledgement as JSON: by, at, via, comment'),
  ).action(
    reportFailures(
      'ack',
      async (id: string, opts: { comment?: string; by?: string; json?: boolean; url?: string; token?: string }) => {
        const body = { by: author(opts, env), ...(opts.comment ? { comment: opts.comment } : {}) };
        const { ack } = await clientFor(opts, env).call<{ ack: AckView }>(
          'POST',
          `/api/v1/alerts/${encodeURIComponent(id)}/ack`,
          body,
        );
        console.log(opts.json ? JSON.stringify(ack, null, 2) : `acknowledged ${id} as ${ack.by} at ${ack.at}`);
      },
    ),
  );
}
