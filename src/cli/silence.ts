// `centinela silence add|list|expire`: mute alerts by label matchers for a while (a deploy, a known issue).
import { Command, InvalidArgumentError, Option } from 'commander';
import { excerpt } from '../excerpt.js';
import { type MatcherFields, matcherList, readMatcher, selectorText } from '../matchers.js';
import type { SilenceView } from '../server/api-shapes.js';
import { author, type ClientEnv, clientFor, reportFailures, withClientOptions } from './client.js';

/**
 * `alertname=ApiDown`, `route=~/api/.*`, `status!=200`, `shard="=~x"` → one more matcher of the API's list form, where
 * a value to equal is that value whatever it starts with. Checked as the API checks the list (a regex RE2 takes, the
 * bounds, one matcher per label), so a refusal names the -m the person wrote, not the request's body.matchers.0.
 */
export function parseMatcher(text: string, previous: MatcherFields[] = []): MatcherFields[] {
  const read = readMatcher(text);
  const list = 'problem' in read ? [] : [...previous, read.matcher];
  // The matchers before were checked as they came: a problem is this one's.
  const problem = 'problem' in read ? read.problem : matcherList.safeParse(list).error?.issues[0]?.message;
  if (problem) throw new InvalidArgumentError(`"${excerpt(text)}" ${problem}`);
  return list;
}

function describe(s: SilenceView): string {
  const matchers = selectorText(s.matchers);
  const unreadable = s.unreadable
    ? `  — its matchers cannot be read (${s.unreadable}): it silences nothing. Expire it and create it again`
    : '';
  return `${s.id}  ${s.state.padEnd(7)}  ${matchers}  until ${s.endsAt}  by ${s.createdBy}: ${s.reason}${unreadable}`;
}

type Opts = { url?: string; token?: string };

/** The `silence` command and its subcommands. */
export function silenceCommand(env: ClientEnv): Command {
  const silence = new Command('silence').description('mute alerts that match labels, for a while');

  silence.addCommand(
    withClientOptions(
      new Command('add')
        .description('create a silence; alerts still change state, and a paged alert that resolves is still announced')
        .requiredOption(
          '-m, --match <matcher>',
          'label matcher, repeatable: alertname=ApiDown, route=~/api/.*',
          parseMatcher,
        )
        .option('--for <duration>', 'how long, e.g. 10m or 1h')
        .option('--until <time>', 'when it ends, as an ISO time (instead of --for)')
        .requiredOption('-r, --reason <text>', 'why, for the record (e.g. "deploy v1.2")')
        .option('--by <name>', 'who silences (default: $USER)')
        .option(
          '--force',
          'create it even if alertname= or probe= names no rule or probe of the running config (a rule still to come)',
        )
        .option('-q, --quiet', 'print only the silence id')
        .addOption(
          new Option('--json', 'print the silence as JSON, as `silence list --json` lists it').conflicts('quiet'),
        ),
    ).action(
      reportFailures(
        'silence add',
        async (
          opts: Opts & {
            match: MatcherFields[];
            for?: string;
            until?: string;
            reason: string;
            by?: string;
            force?: boolean;
            quiet?: boolean;
            json?: boolean;
          },
        ) => {
          const body = {
            matchers: opts.match,
            ...(opts.for ? { for: opts.for } : {}),
            ...(opts.until ? { endsAt: opts.until } : {}),
            by: author(opts, env),
            reason: opts.reason,
            ...(opts.force ? { force: true } : {}),
          };
          const { silence: s } = await clientFor(opts, env).call<{ silence: SilenceView }>(
            'POST',
            '/api/v1/silences',
            body,
          );
          console.log(opts.json ? JSON.stringify(s, null, 2) : opts.quiet ? s.id : describe(s));
        },
      ),
    ),
  );

  silence.addCommand(
    withClientOptions(
      new Command('list')
        .description('list active and pending silences')
        .option('-a, --all', 'include expired ones')
        .option('--json', 'print the API answer as JSON'),
    ).action(
      reportFailures('silence list', async (opts: Opts & { all?: boolean; json?: boolean }) => {
        const { silences } = await clientFor(opts, env).call<{ silences: SilenceView[] }>('GET', '/api/v1/silences');
        const shown = opts.all ? silences : silences.filter((s) => s.state !== 'expired');
        if (opts.json) console.log(JSON.stringify(shown, null, 2));
        else console.log(shown.length ? shown.map(describe).join('\n') : 'no silences');
      }),
    ),
  );

  silence.addCommand(
    withClientOptions(
      new Command('expire')
        .description('end a silence now')
        .argument('<id>', 'silence id')
        .option('--by <name>', 'who ends it (default: $USER)')
        .option('--json', 'print the expired silence as JSON'),
    ).action(
      reportFailures('silence expire', async (id: string, opts: Opts & { by?: string; json?: boolean }) => {
        const { silence: s } = await clientFor(opts, env).call<{ silence: SilenceView }>(
          'POST',
          `/api/v1/silences/${encodeURIComponent(id)}/expire`,
          { by: author(opts, env) },
        );
        console.log(opts.json ? JSON.stringify(s, null, 2) : describe(s));
      }),
    ),
  );
  return silence;
}
