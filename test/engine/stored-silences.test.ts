// Silences and one-shot windows kept in the store whose matchers no longer read after an upgrade (issue 13 review
// r13e, D3): rows written as an older version wrote them (a lookahead V8 ran, a value past the 1024-character bound,
// the map form), straight into SQLite. They match nothing, are told once each in the log, and are shown readably.
import { afterEach, describe, expect, it } from 'vitest';
import { captureLog } from '../support/log-capture.js';
import { RulesHarness } from '../support/rules.js';

const MIN = 60_000;
const harnesses: RulesHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.close();
});

/** Matchers as versions before RE2 took them and wrote them: the list form and the map form. */
const LOOKAHEAD = [{ label: 'alertname', op: '=~', value: '(?=Disk)DiskFull' }];
const LONG = { alertname: 'DiskFull', instance: `=~${'db1|'.repeat(300)}db2` };

describe('a stored silence or window whose matchers no longer read', () => {
  it('matches nothing, is logged once with its id and why, and lists its matchers as stored', () => {
    const { log, lines } = captureLog(new RulesHarness({}).clock);
    const h = new RulesHarness({ sources: [{ name: 'prometheus' }] }, { log });
    harnesses.push(h);
    const now = h.clock.now();
    const silence = h.db.prepare(
      `INSERT INTO silences (id, matchers, starts_at, ends_at, owner, reason, created_at)
        VALUES (?, ?, ?, ?, 'ana', 'disk work', ?)`,
    );
    silence.run('sil_lookahead', JSON.stringify(LOOKAHEAD), now - MIN, now + 60 * MIN, now - MIN);
    silence.run('sil_long', JSON.stringify(LONG), now - MIN, now + 60 * MIN, now - MIN);
    h.db
      .prepare(
        `INSERT INTO maintenance_windows (id, probes, matchers, reason, owner, priority, opened_at, ends_at, settle,
          failed, rollback) VALUES ('win_old', '[]', ?, 'deploy', 'ana', 'P1', ?, ?, 120000, '[]', 0)`,
      )
      .run(JSON.stringify(LOOKAHEAD), now - MIN, now + 30 * MIN);

    const labels = { alertname: 'DiskFull', severity: 'critical', instance: 'db1' };
    h.receive('prometheus', [
      { labels, annotations: {}, startsAt: now - MIN, endsAt: now + MIN, generatorURL: 'http://prom:9090/graph' },
    ]);
    h.tick();
    h.tick();
    // Before RE2 both silences and the window held DiskFull back; a silence that cannot be read must not hide it.
    expect(h.alert('DiskFull')?.alert.suppressedBy).toEqual([]);
    const listed = h.evaluator.api.listSilences();
    h.evaluator.api.listWindows();

    const warned = lines().filter((l) => l.level === 'warn');
    expect(warned.map((l) => l.msg)).toEqual([
      'silence sil_long: its matchers cannot be read (instance: is too long: its value has 1203 characters, and a ' +
        "matcher's (after its =~, != or !~) has at most 1024. Shorten it, or split it into several silences, windows " +
        'or rules): it silences nothing. Expire it and create it again',
      expect.stringMatching(
        /^silence sil_lookahead: its matchers cannot be read \(0: is not a regular expression \(invalid or unsupported Perl syntax; .*\)\): it silences nothing\. Expire it and create it again$/,
      ),
      expect.stringMatching(
        /^window win_old: its matchers cannot be read \(0: is not a regular expression \(invalid or unsupported Perl syntax; .*\)\): it holds back nothing\. End it and open it again$/,
      ),
    ]);
    expect(warned.map((l) => l.silence ?? l.window)).toEqual(['sil_long', 'sil_lookahead', 'win_old']);
    // No matcher value in the log: the long one is 1,203 characters.
    expect(JSON.stringify(warned)).not.toContain('db1|');

    const long = listed.find((s) => s.id === 'sil_long');
    expect(long?.unreadable?.stored).toEqual([
      { label: 'alertname', op: '=', value: 'DiskFull' },
      { label: 'instance', op: '=~', value: `${`${'db1|'.repeat(300)}db2`.slice(0, 200)}… (1203 characters)` },
    ]);
  });

  it('of a row that is not JSON at all: evaluation goes on, it silences nothing, and it is listed (review r13g D7)', () => {
    // Such a row made every evaluation fail ('evaluation failed; rule state unchanged') and the lists answer 500.
    const { log, lines } = captureLog(new RulesHarness({}).clock);
    const h = new RulesHarness({ sources: [{ name: 'prometheus' }] }, { log });
    harnesses.push(h);
    const now = h.clock.now();
    h.db
      .prepare(
        `INSERT INTO silences (id, matchers, starts_at, ends_at, owner, reason, created_at)
          VALUES ('sil_damaged', ?, ?, ?, 'ana', 'disk work', ?)`,
      )
      .run('alertname=DiskFull', now - MIN, now + 60 * MIN, now - MIN);
    const labels = { alertname: 'DiskFull', severity: 'critical', instance: 'db1' };
    h.receive('prometheus', [
      { labels, annotations: {}, startsAt: now - MIN, endsAt: now + MIN, generatorURL: 'http://prom:9090/graph' },
    ]);
    h.tick();
    expect(h.alert('DiskFull')?.alert.suppressedBy).toEqual([]);
    expect(h.evaluator.api.listSilences().find((s) => s.id === 'sil_damaged')?.unreadable).toEqual({
      problem: 'the row does not hold JSON (edited by hand, or damaged)',
      stored: [{ label: '', op: '', value: 'alertname=DiskFull' }],
    });
    expect(
      lines()
        .filter((l) => l.level === 'warn')
        .map((l) => l.msg),
    ).toEqual([
      'silence sil_damaged: its matchers cannot be read (the row does not hold JSON (edited by hand, or damaged)): it ' +
        'silences nothing. Expire it and create it again',
    ]);
  });
});
