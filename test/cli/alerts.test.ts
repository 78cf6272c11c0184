// `centinela alerts` and `alerts show` as a shell runs them (bin/centinela.js in a child process) against the
// in-process daemon on loopback, whose SMTP port is dead: a P0 page that reached nobody is NOT DELIVERED, with each
// contact × channel failing and its last error; once the webhook answers, the alert says whom it reached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertDetail, alertTable, deliveryLine } from '../../src/cli/alerts.js';
import type { AlertView } from '../../src/server/api-shapes.js';
import { centinela as run } from '../support/cli.js';
import { type Daemon, startDaemon, startWorld, type World, WRITE_TOKEN } from '../support/daemon.js';

let world: World;
let d: Daemon;
let url: string;
/** A test that runs the binary a dozen times or more (tsx compiles it at each start): seconds each on a busy machine. */
const CLI_RUNS_MS = 300_000;
/** How long ago, as the list prints it. */
const AGE = '\\d+ (?:s|min|h|d)';

beforeAll(async () => {
  // Nothing listens on port 9 of loopback: every email is refused at connect.
  world = await startWorld({ SMTP_PORT: '9' });
  world.hook.otherwise({ status: 503, body: 'down for maintenance' });
  d = await startDaemon(world);
  url = await d.app.server.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await d?.close();
  await world?.close();
});

async function centinela(args: string[], env: Record<string, string> = {}) {
  const r = await run(args, { CENTINELA_URL: url, CENTINELA_TOKEN: WRITE_TOKEN, ...env });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('centinela alerts', () => {
  it('lists nothing before a fault, then a P0 NOT DELIVERED, then whom it reached', {
    timeout: CLI_RUNS_MS,
  }, async () => {
    expect(await centinela(['alerts'])).toEqual({ code: 0, out: 'no alerts\n', err: '' });

    world.target.setFault('down');
    await d.advanceUntil(
      () => world.hook.requests.length >= 1,
      30_000,
      () => 'no page attempt',
    );
    await d.advance(2_000);
    const json = await centinela(['alerts', '--json']);
    expect(json.code).toBe(0);
    const [alert] = JSON.parse(json.out) as AlertView[];
    if (!alert) throw new Error(`no alert listed: ${json.out}`);
    expect(alert).toMatchObject({ alertname: 'ApiDown', priority: 'P0', state: 'firing', notDelivered: true });

    const list = await centinela(['alerts']);
    expect(list.err).toBe('');
    // The age is the CLI's clock against the daemon's fake one: only its shape is known.
    const [header, row, ...rest] = list.out.split('\n');
    expect(header).toMatch(/^ID {20}PRIORITY {2}STATE {3}ALERTNAME {2}SINCE +PAGED {10}ACK {2}HELD {2}SUMMARY$/);
    expect(row).toMatch(new RegExp(`^${alert.id}  P0 {8}firing  ApiDown {4}${AGE} +NOT DELIVERED  - {4}- {5}\\S`));
    expect(rest).toEqual(['']);

    // Matchers as silences write them, over the alert's labels and its priority; -o json is --json.
    const matched = await centinela(['alerts', 'alertname=ApiDown', 'priority=~P0|P1', 'service!=web', '-o', 'json']);
    expect((JSON.parse(matched.out) as AlertView[]).map((a) => a.id)).toEqual([alert.id]);
    expect((await centinela(['alerts', 'priority=~P2|P3'])).out).toBe('no alerts\n');
    expect((await centinela(['alerts', 'alertname!~Api.*', '--json'])).out).toBe('[]\n');
    // amtool's quoted form: shard="" is shard absent, which ApiDown is; shard!="" only an alert that has one.
    const quoted = await centinela(['alerts', 'alertname="ApiDown"', 'shard=""', '--json']);
    expect((JSON.parse(quoted.out) as AlertView[]).map((a) => a.id)).toEqual([alert.id]);
    expect((await centinela(['alerts', 'shard!=""', '--json'])).out).toBe('[]\n');
    // What the status page shows: its alerts are the list's.
    const page = await d.app.server.inject({ url: '/', headers: { authorization: `Bearer ${WRITE_TOKEN}` } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(alert.id);

    const show = await centinela(['alerts', 'show', alert.id]);
    expect(show.code).toBe(0);
    const lines = show.out.split('\n');
    expect(lines[0]).toBe(`${alert.id}  P0  firing  ApiDown`);
    expect(lines).toContain('NOT DELIVERED: pages went out and none has reached anyone yet');
    expect(show.out).toMatch(
      /\n {2}oncall · email {2}failing {2}\d+ attempts? {2}last error: .*ECONNREFUSED.*127\.0\.0\.1:9/,
    );
    expect(show.out).toMatch(/\n {2}ops · hook {2}failing {2}\d+ attempts? {2}last error: .*HTTP 503/);

    world.hook.otherwise({ status: 200, body: 'ok' });
    const tried = world.hook.requests.length;
    await d.advanceUntil(
      () => world.hook.requests.length > tried,
      60_000,
      () => 'no new webhook attempt',
    );
    await d.advance(1_000);
    expect((await centinela(['alerts', '--priority', 'P0', '--state', 'firing'])).out).toMatch(
      new RegExp(`  ApiDown {4}${AGE} +ops {4}- {4}- {5}\\S.*\\n$`),
    );
    // Options after `show` are its own.
    const reached = await centinela(['alerts', 'show', alert.id, '--url', url], {
      CENTINELA_URL: 'http://127.0.0.1:9',
    });
    expect(reached.code).toBe(0);
    expect(reached.out).toContain('\npaged: ops\n');
    expect(reached.out).toMatch(/\n {2}ops · hook {2}sent {2}\d+ attempts {2}sent at \d{4}-\d\d-\d\dT/);
    expect(reached.out).toMatch(/\n {2}oncall · email {2}failing /);
    const detail = JSON.parse((await centinela(['alerts', 'show', alert.id, '--json'])).out);
    expect(detail).toMatchObject({ id: alert.id, paged: ['ops'], notDelivered: false });
  });

  it('exits 1 with a clear error for an unknown id, a bad filter, a bad URL and an unreachable server', {
    timeout: CLI_RUNS_MS,
  }, async () => {
    const unknown = await centinela(['alerts', 'show', 'f'.repeat(20)]);
    expect(unknown).toEqual({
      code: 1,
      out: '',
      err: `centinela alerts show: no alert "${'f'.repeat(20)}". List alerts with GET /api/v1/alerts (ALERT_NOT_FOUND)\n`,
    });
    const state = await centinela(['alerts', '--state', 'burning']);
    expect(state).toMatchObject({ code: 1, out: '' });
    expect(state.err).toMatch(
      /^centinela alerts: query\.state: must be pending, firing or resolved.*\(BAD_REQUEST\)\n$/,
    );

    const notMatcher = await centinela(['alerts', 'ApiDown']);
    expect(notMatcher).toMatchObject({ code: 1, out: '' });
    expect(notMatcher.err).toContain('"ApiDown" is not a matcher: write label=value, label!=value, label=~regex');
    const badRegex = await centinela(['alerts', 'route=~(']);
    expect(badRegex).toMatchObject({ code: 1, out: '' });
    expect(badRegex.err).toContain(
      `value 'route=~(' is invalid for argument 'matcher'. "route=~(" is not a regular expression (missing closing ))`,
    );
    expect(badRegex.err).not.toContain('query.match');
    const format = await centinela(['alerts', '-o', 'yaml']);
    expect(format).toMatchObject({ code: 1, out: '' });
    expect(format.err).toContain("argument 'yaml' is invalid. Allowed choices are table, json.");
    const both = await centinela(['alerts', '--json', '-o', 'table']);
    expect(both).toMatchObject({ code: 1, out: '' });
    expect(both.err).toContain("option '--json' cannot be used with option '-o, --output <format>'");

    const away = await centinela(['alerts'], { CENTINELA_URL: 'http://127.0.0.1:9' });
    expect(away).toMatchObject({ code: 1, out: '' });
    expect(away.err).toMatch(
      /^centinela alerts: cannot reach centinela at http:\/\/127\.0\.0\.1:9\/: .*Is it running\? Set --url or CENTINELA_URL/,
    );
    const awayShow = await centinela(['alerts', 'show', 'x', '--url', 'not a url']);
    expect(awayShow).toMatchObject({ code: 1, out: '' });
    expect(awayShow.err).toBe(
      'centinela alerts show: "<secret>" is not a URL. Write e.g. http://127.0.0.1:9810 (BAD_URL)\n',
    );
  });

  it('shows its help with the subcommand', async () => {
    const help = await centinela(['alerts', '--help']);
    expect(help.out).toContain('show [options] <id>');
    expect((await centinela(['alerts', 'list', '--help'])).out).toContain('--state <state>');
    expect((await centinela(['--help'])).out).toMatch(/\n {2}alerts +alerts and whether their pages reached anyone/);
  });
});

describe('alert and delivery lines', () => {
  const base: AlertView = {
    id: 'a1',
    alertname: 'ApiDown',
    labels: {},
    priority: 'P1',
    state: 'firing',
    value: 0,
    threshold: 1,
    op: '<',
    summary: 'down',
    activeSince: '2026-01-01T00:00:00.000Z',
    flapping: false,
    suppressedBy: [],
    paged: [],
    deliveries: [],
    notDelivered: false,
  };
  const now = Date.parse('2026-01-01T00:12:00.000Z');

  it('says whom the pages reached, nobody yet, or NOT DELIVERED, in aligned columns under a header', () => {
    const { activeSince: _, ...pending } = base;
    const table = alertTable(
      [
        { ...base, paged: ['cto', 'ops'], ack: { by: 'ana', at: '2026-01-01T00:05:00.000Z' } },
        { ...base, id: 'a2', notDelivered: true, suppressedBy: [{ kind: 'silenced', id: 's1' }] },
        { ...pending, id: 'a3', state: 'pending', pendingSince: '2026-01-01T00:09:00.000Z', summary: 'slow' },
        { ...base, id: 'a4', state: 'resolved', flapping: true, resolvedAt: '2026-01-01T00:10:00.000Z' },
      ],
      now,
    );
    expect(table.split('\n')).toEqual([
      'ID  PRIORITY  STATE                ALERTNAME  SINCE               PAGED          ACK  HELD            SUMMARY',
      'a1  P1        firing               ApiDown    12 min              cto, ops       ana  -               down',
      'a2  P1        firing               ApiDown    12 min              NOT DELIVERED  -    silenced by s1  down',
      'a3  P1        pending              ApiDown    pending 3 min       nobody         -    -               slow',
      'a4  P1        resolved (flapping)  ApiDown    resolved 2 min ago  nobody         -    -               down',
    ]);
    expect(alertTable([], now)).toBe('no alerts');
  });

  it('names what holds an alert back: the inhibiting alert (by name when listed), the silence, the window', () => {
    const held = (suppressedBy: AlertView['suppressedBy'], others: AlertView[] = []) =>
      alertTable([{ ...base, id: 'b1', suppressedBy }, ...others], now).split('\n')[1];
    const source = { ...base, id: 'src1', alertname: 'ApiDown', priority: 'P0' as const };
    expect(held([{ kind: 'inhibited', id: 'src1' }], [source])).toContain('inhibited by ApiDown  down');
    expect(held([{ kind: 'inhibited', id: 'src1' }])).toContain('inhibited by src1  down');
    expect(held([{ kind: 'silenced', id: 'sil_3f2a' }])).toContain('silenced by sil_3f2a  down');
    expect(
      held([
        { kind: 'maintenance', id: 'w7' },
        { kind: 'silenced', id: 'sil_1' },
      ]),
    ).toContain('maintenance w7, silenced by sil_1  down');
  });

  it("shows an alert's value and threshold in its rule's unit", () => {
    const detail = { ...base, runbook: [], diagnosis: [], acks: [], history: [], pages: [] };
    const rate = { ...detail, unit: 'percent' as const, value: 7.24, threshold: 5, op: '>' };
    expect(alertDetail(rate, now)).toContain('\nvalue: 7.2 % (> 5 %)\n');
    expect(alertDetail(detail, now)).toContain('\nvalue: 0 (< 1)\n');
  });

  it('gives attempts and the sent time or the last error', () => {
    expect(deliveryLine({ contact: 'cto', channel: 'email', status: 'queued', attempts: 0 })).toBe(
      'cto · email  queued  0 attempts',
    );
    expect(
      deliveryLine({ contact: 'cto', channel: 'push', status: 'sent', attempts: 1, at: '2026-01-01T00:00:01.000Z' }),
    ).toBe('cto · push  sent  1 attempt  sent at 2026-01-01T00:00:01.000Z');
    expect(
      deliveryLine({ contact: 'cto', channel: 'email', status: 'given-up', attempts: 9, lastError: 'SMTP 550' }),
    ).toBe('cto · email  given-up  9 attempts  last error: SMTP 550');
  });
});
