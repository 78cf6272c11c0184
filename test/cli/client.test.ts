// The API's shell clients as a script runs them: `centinela ack`, `silence`, `maintenance` (bin/centinela.js in a
// child process) against the in-process daemon on loopback. Output for scripts, the server's error and exit 1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMatcher } from '../../src/cli/silence.js';
import { centinela as run } from '../support/cli.js';
import { type Daemon, startDaemon, startWorld, type World, WRITE_TOKEN } from '../support/daemon.js';

let world: World;
let d: Daemon;
let url: string;

beforeAll(async () => {
  world = await startWorld();
  d = await startDaemon(world);
  url = await d.app.server.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await d.close();
  await world.close();
});

/** A test that runs the binary a dozen times or more (tsx compiles it at each start): seconds each on a busy machine. */
const CLI_RUNS_MS = 300_000;

/** Runs `centinela ...args` with CENTINELA_URL/CENTINELA_TOKEN set (unless overridden). */
async function centinela(args: string[], env: Record<string, string> = {}) {
  const r = await run(args, { CENTINELA_URL: url, CENTINELA_TOKEN: WRITE_TOKEN, USER: 'ci', ...env });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('centinela silence', () => {
  it('adds (printing only the id with -q), lists and expires a silence', async () => {
    const add = await centinela([
      'silence',
      'add',
      '--match',
      'alertname=ApiLatencyHigh',
      '-m',
      'route=~/api/.*',
      '--for',
      '10m',
      '--reason',
      'deploy v1.2',
      '-q',
    ]);
    expect(add).toMatchObject({ code: 0, err: '' });
    const id = add.out.trim();
    expect(id).toMatch(/^sil_[0-9a-f]+$/);

    const list = await centinela(['silence', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toContain(`${id}  active   {alertname="ApiLatencyHigh",route=~"/api/.*"}`);
    expect(list.out).toContain('by ci: deploy v1.2');

    const expire = await centinela(['silence', 'expire', id, '--by', 'ana']);
    expect(expire.code).toBe(0);
    expect(expire.out).toContain(`${id}  expired`);
    expect((await centinela(['silence', 'list'])).out.trim()).toBe('no silences');
    expect((await centinela(['silence', 'list', '--all', '--json'])).out).toContain(`"id": "${id}"`);
  });

  it('prints what it did as JSON with --json, as the lists print it', { timeout: CLI_RUNS_MS }, async () => {
    const args = ['silence', 'add', '-m', 'alertname=ApiDown', '-m', 'service!=web', '--for', '10m', '-r', 'deploy'];
    const added = await centinela([...args, '--json']);
    expect(added).toMatchObject({ code: 0, err: '' });
    const silence = JSON.parse(added.out);
    expect(silence).toMatchObject({
      id: expect.stringMatching(/^sil_/),
      state: 'active',
      createdBy: 'ci',
      reason: 'deploy',
      matchers: [
        { label: 'alertname', op: '=', value: 'ApiDown' },
        { label: 'service', op: '!=', value: 'web' },
      ],
    });
    const listed = JSON.parse((await centinela(['silence', 'list', '--json'])).out);
    expect(listed).toContainEqual(silence);
    const expired = JSON.parse((await centinela(['silence', 'expire', silence.id, '--json'])).out);
    expect(expired).toMatchObject({ id: silence.id, state: 'expired' });
    const both = await centinela([...args, '--json', '-q']);
    expect(both).toMatchObject({ code: 1, out: '' });
    expect(both.err).toContain("option '--json' cannot be used with option '-q, --quiet'");
  });

  it("exits 1 with the server's own words when it refuses", async () => {
    const long = await centinela(['silence', 'add', '--match', 'alertname=ApiDown', '--for', '2h', '--reason', 'x']);
    expect(long.code).toBe(1);
    expect(long.out).toBe('');
    expect(long.err).toMatch(/^centinela silence add: a silence of 2h is too long: .* \(SILENCE_TOO_LONG\)\n$/);
  });

  it('refuses an alertname no rule has, with the closest one; --force creates it anyway', {
    timeout: CLI_RUNS_MS,
  }, async () => {
    const args = ['silence', 'add', '-m', 'alertname=ApiDwn', '--for', '10m', '--reason', 'deploy', '-q'];
    const typo = await centinela(args);
    expect(typo).toEqual({
      code: 1,
      out: '',
      err:
        'centinela silence add: silence: alertname="ApiDwn" matches no alert: no rule is named so. Did you mean ' +
        '"ApiDown"? To create it anyway, force it ("force": true in the API, --force on the centinela command line) ' +
        '(UNKNOWN_NAME)\n',
    });
    const forced = await centinela([...args, '--force']);
    expect(forced).toMatchObject({ code: 0, err: '' });
    expect((await centinela(['silence', 'expire', forced.out.trim()])).code).toBe(0);
    // A regex with the typo in a group, and a negative matcher on the typo (which would silence every other alert).
    for (const [matcher, said] of [
      ['alertname=~Api(Down|Dwn)', 'alertname=~"Api(Down|Dwn)" lists a name no rule has: no rule is named "ApiDwn".'],
      ['alertname!=ApiDwn', 'alertname!="ApiDwn" matches every alert: no rule is named so.'],
    ]) {
      const refused = await centinela(['silence', 'add', '-m', `${matcher}`, '--for', '10m', '--reason', 'deploy']);
      expect(refused).toMatchObject({ code: 1, out: '' });
      expect(refused.err).toContain(`centinela silence add: silence: ${said} Did you mean "ApiDown"? To create it`);
      expect(refused.err).toMatch(/\(UNKNOWN_NAME\)\n$/);
    }
  });

  it('refuses a matcher the API would refuse naming the -m written, not body.matchers.0 (issue 13 review r13e, D5b)', {
    timeout: CLI_RUNS_MS,
  }, async () => {
    const regex = await centinela([
      'silence',
      'add',
      '-m',
      'alertname=ApiDown',
      '-m',
      'x=~(',
      '--for',
      '10m',
      '-r',
      'x',
    ]);
    expect(regex).toMatchObject({ code: 1, out: '' });
    expect(regex.err).toBe(
      `error: option '-m, --match <matcher>' argument 'x=~(' is invalid. "x=~(" is not a regular expression ` +
        '(missing closing ))\n',
    );
    const twice = await centinela(['silence', 'add', '-m', 'a=1', '-m', 'a=2', '--for', '10m', '-r', 'x']);
    expect(twice).toMatchObject({ code: 1, out: '' });
    expect(twice.err).toContain(`argument 'a=2' is invalid. "a=2" repeats the label "a": give one matcher per label`);
    const window = ['maintenance', 'start', '-p', 'api_health', '--max', '15m', '-r', 'deploy'];
    const lookahead = await centinela([...window, '-m', 'alertname=~(?=Api)ApiDown']);
    expect(lookahead).toMatchObject({ code: 1, out: '' });
    expect(lookahead.err).toContain(
      `"alertname=~(?=Api)ApiDown" is not a regular expression (invalid or unsupported Perl syntax; regexes are RE2`,
    );
    for (const r of [regex, twice, lookahead]) expect(r.err).not.toContain('body.');
  });

  it('parses matchers as PromQL writes them, a value as that value whatever it starts with', () => {
    const a = { label: 'a', op: '=' as const, value: 'b' };
    expect(parseMatcher('alertname=ApiDown')).toEqual([{ label: 'alertname', op: '=', value: 'ApiDown' }]);
    expect(parseMatcher('route=~/api/.*', [a])).toEqual([a, { label: 'route', op: '=~', value: '/api/.*' }]);
    expect(parseMatcher('status!=200')).toEqual([{ label: 'status', op: '!=', value: '200' }]);
    expect(parseMatcher('env!~stag.*')).toEqual([{ label: 'env', op: '!~', value: 'stag.*' }]);
    expect(parseMatcher('note=a=b')).toEqual([{ label: 'note', op: '=', value: 'a=b' }]);
    expect(parseMatcher('shard="=~.*"')).toEqual([{ label: 'shard', op: '=', value: '=~.*' }]);
    expect(() => parseMatcher('no operator')).toThrow('"no operator" is not a matcher: write label=value');
    expect(() => parseMatcher('shard="1')).toThrow(
      '"shard="1" is not quoted right: a quote mark does not pair. Write the value',
    );
    expect(() => parseMatcher(`alertname=~${'A|'.repeat(600)}`)).toThrow(
      /^"alertname=~A\|A\|.*… \(1211 characters\)" is too long: its value has 1200 characters/,
    );
  });
});

describe('centinela maintenance', () => {
  it('starts a window for a deploy and ends the only open one without an id', { timeout: CLI_RUNS_MS }, async () => {
    const start = await centinela([
      'maintenance',
      'start',
      '--probes',
      'api_health',
      '--max',
      '15m',
      '--settle',
      '5m',
      '--reason',
      'deploy v1.2',
      '-q',
    ]);
    expect(start).toMatchObject({ code: 0, err: '' });
    const id = start.out.trim();
    expect(id).toMatch(/^win_[0-9a-f]+$/);
    expect((await centinela(['maintenance', 'list'])).out).toContain(`${id}  open    probes api_health`);

    const end = await centinela(['maintenance', 'end']);
    expect(end.code).toBe(0);
    expect(end.out).toContain(`${id}  closed`);

    const json = await centinela(['maintenance', 'start', '-p', 'api_health', '--max', '15m', '-r', 'v1.3', '--json']);
    expect(json).toMatchObject({ code: 0, err: '' });
    const window = JSON.parse(json.out);
    expect(window).toMatchObject({ kind: 'one-shot', probes: ['api_health'], state: 'open', reason: 'v1.3' });
    expect(JSON.parse((await centinela(['maintenance', 'list', '--json'])).out)).toContainEqual(window);
    const closed = JSON.parse((await centinela(['maintenance', 'end', '--json'])).out);
    expect(closed).toMatchObject({ id: window.id, state: 'closed' });
    const again = await centinela(['maintenance', 'end']);
    expect(again).toMatchObject({ code: 1, out: '' });
    expect(again.err).toBe('centinela maintenance end: no maintenance window is open (MAINTENANCE_NOT_FOUND)\n');
  });

  it('refuses an unknown probe with the closest name, or the list of defined ones when none is close', async () => {
    const typo = await centinela(['maintenance', 'start', '--probes', 'api_helth', '--max', '15m', '--reason', 'x']);
    expect(typo.code).toBe(1);
    expect(typo.err).toBe(
      'centinela maintenance start: body.probes[0]: unknown probe "api_helth". Did you mean "api_health"? (BAD_REQUEST)\n',
    );
    const res = await centinela(['maintenance', 'start', '--probes', 'api', '--max', '15m', '--reason', 'deploy']);
    expect(res.code).toBe(1);
    expect(res.err).toContain('unknown probe "api". Defined: api_health, api_metrics. (BAD_REQUEST)');
  });

  it('refuses a --max over evaluation.window_max, and a --match naming no alert unless --force', async () => {
    const start = ['maintenance', 'start', '-p', 'api_health', '-r', 'deploy'];
    const long = await centinela([...start, '--max', '2h']);
    expect(long.code).toBe(1);
    expect(long.err).toBe(
      'centinela maintenance start: a maintenance window of 2h is too long: it could match ApiDown at P0, and P0 ' +
        'maintenance windows may last at most 1h (evaluation.window_max). Give it a max of 1h or less, or narrow ' +
        'the matchers so they exclude ApiDown (WINDOW_TOO_LONG)\n',
    );
    const typo = await centinela([...start, '--max', '15m', '-m', 'alertname=ApiLatencyHihg']);
    expect(typo.code).toBe(1);
    expect(typo.err).toContain('Did you mean "ApiLatencyHigh"?');
    expect(typo.err).toMatch(/\(UNKNOWN_NAME\)\n$/);
    const forced = await centinela([...start, '--max', '15m', '-m', 'alertname=ApiLatencyHihg', '--force', '-q']);
    expect(forced).toMatchObject({ code: 0, err: '' });
    const again = await centinela([...start, '--max', '15m']);
    expect(again.err).toMatch(/^centinela maintenance start: maintenance window: "api_health" is already in window/);
    expect(again.err).toMatch(/\(WINDOW_OVERLAPS\)\n$/);
    expect((await centinela(['maintenance', 'end', forced.out.trim()])).code).toBe(0);
  });

  it('sends --settle, and the server refuses one longer than --max', async () => {
    const res = await centinela([
      'maintenance',
      'start',
      '-p',
      'api_health',
      '--max',
      '5m',
      '--settle',
      '10m',
      '-r',
      'x',
    ]);
    expect(res.code).toBe(1);
    expect(res.err).toContain('body.settle: must not be longer than max');
    expect((await centinela(['maintenance', 'start', '--help'])).out).toContain('--settle <duration>');
  });
});

describe('centinela ack', () => {
  it('acknowledges a firing alert; a wrong token, an unknown id and an unreachable server exit 1', {
    timeout: CLI_RUNS_MS,
  }, async () => {
    world.target.setFault('down');
    await d.advanceUntil(
      () => world.hook.requests.length >= 1,
      30_000,
      () => 'no page',
    );
    const { alerts } = await (await fetch(`${url}/api/v1/alerts?state=firing`)).json();
    const id = alerts[0].id as string;

    const wrong = await centinela(['ack', id], { CENTINELA_TOKEN: 'nope' });
    expect(wrong).toMatchObject({ code: 1, err: 'centinela ack: wrong bearer token (UNAUTHORIZED)\n' });
    const unknown = await centinela(['ack', 'f'.repeat(20)]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('(ALERT_NOT_FOUND)');

    const ok = await centinela(['ack', id, '--comment', 'restarting the api', '--by', 'ana', '--json']);
    expect(ok).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(ok.out)).toEqual({
      by: 'ana',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      via: 'cli',
      comment: 'restarting the api',
    });
    // The timeline says it came from the command line.
    const timeline = await (await fetch(`${url}/alerts/${id}`)).text();
    expect(timeline).toContain('Acknowledged by ana (via the command line)');
    const again = await centinela(['ack', id]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('was already acknowledged by ana');

    const away = await centinela(['ack', id], { CENTINELA_URL: 'http://127.0.0.1:9' });
    expect(away.code).toBe(1);
    expect(away.err).toMatch(
      /^centinela ack: cannot reach centinela at http:\/\/127\.0\.0\.1:9\/: .*Is it running\? Set --url or CENTINELA_URL/,
    );
  });
});

describe('a silence and a window stored by an older version, whose matchers no longer read', () => {
  it('are listed with their matchers as stored and why they silence nothing, and can be ended', {
    timeout: CLI_RUNS_MS,
  }, async () => {
    // Issue 13 review r13e, D3: a lookahead V8 took, written in the map form as versions before wrote it; such a row
    // was listed as {__unreadable__="\0"}.
    const now = d.clock.now();
    const stored = JSON.stringify({ alertname: '=~(?=Api)ApiDown' });
    d.db
      .prepare(
        `INSERT INTO silences (id, matchers, starts_at, ends_at, owner, reason, created_at)
          VALUES ('sil_old', ?, ?, ?, 'ana', 'old', ?)`,
      )
      .run(stored, now - 60_000, now + 3_600_000, now - 60_000);
    d.db
      .prepare(
        `INSERT INTO maintenance_windows (id, probes, matchers, reason, owner, priority, opened_at, ends_at, settle,
          failed, rollback) VALUES ('win_old', '["api_health"]', ?, 'deploy', 'ana', 'P1', ?, ?, 120000, '[]', 0)`,
      )
      .run(stored, now - 60_000, now + 900_000);
    const why =
      'alertname: is not a regular expression (invalid or unsupported Perl syntax; regexes are RE2 syntax, as in ' +
      'Prometheus and Alertmanager, which has no lookahead, lookbehind nor backreference)';

    const silences = await centinela(['silence', 'list']);
    expect(silences).toMatchObject({ code: 0, err: '' });
    expect(silences.out).toContain(
      `sil_old  active   {alertname=~"(?=Api)ApiDown"}  until ${new Date(now + 3_600_000).toISOString()}  by ana: ` +
        `old  — its matchers cannot be read (${why}): it silences nothing. Expire it and create it again\n`,
    );
    const windows = await centinela(['maintenance', 'list', '--json']);
    expect(JSON.parse(windows.out)).toContainEqual(
      expect.objectContaining({ id: 'win_old', matchers: [{ label: 'alertname', op: '=~', value: '(?=Api)ApiDown' }] }),
    );
    expect(JSON.parse(windows.out).find((w: { id: string }) => w.id === 'win_old').unreadable).toBe(why);
    for (const out of [silences.out, windows.out]) expect(out).not.toMatch(/__unreadable__|\0|\\u0000/);

    expect((await centinela(['silence', 'expire', 'sil_old'])).out).toContain('sil_old  expired');
    const ended = await centinela(['maintenance', 'end', 'win_old']);
    expect(ended.out).toContain(`— its matchers cannot be read (${why}): it holds back nothing. End it and open it`);
  });
});
