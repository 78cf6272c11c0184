// Acknowledgement: the API path and signed links — valid, expired, forged, replayed after resolution.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { Secret } from '../../src/config/secret.js';
import { ackAlert, confirmAckLink, inspectAckLink } from '../../src/engine/acks.js';
import { Escalator } from '../../src/engine/escalator.js';
import {
  ackLinkUrl,
  shortAckLinkUrl,
  signAckToken,
  signShortAckToken,
  verifyAckLink,
  verifyAckToken,
} from '../../src/escalation/ack-token.js';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import { escalationConfig, firing, HOUR, MIN, makeAlert, resolved, TempState } from '../support/escalation-fixtures.js';

const key = new Secret('test-link-secret');
let state: TempState;
let clock: FakeClock;
let esc: Escalator;

beforeEach(() => {
  state = new TempState();
  clock = new FakeClock(Date.UTC(2026, 0, 1, 10, 0));
  esc = new Escalator(state.all, escalationConfig());
});
afterEach(() => state.remove());

function fire() {
  const alert = makeAlert();
  esc.handle([firing(alert, clock.now())], clock.now());
  const incident = state.store.openIncident(alert.id);
  if (!incident) throw new Error('no incident');
  const token = signAckToken(
    { incidentId: incident.id, alertId: alert.id, contact: 'cto', expires: clock.now() + HOUR },
    key,
  );
  return { alert, incident, token };
}

const deps = () => ({ escalator: esc, store: state.store, linkSecret: key, reading: DEFAULT_READING });

describe('signed ack links', () => {
  it('round-trips its claims and builds the link under the public URL', () => {
    const claims = { incidentId: 7, alertId: 'ApiDown{x="y"}', contact: 'cto', expires: 1_000 };
    const url = ackLinkUrl('https://centinela.example/', claims, key);
    expect(url).toMatch(/^https:\/\/centinela\.example\/ack\/[\w-]+\.[\w-]+$/);
    const token = url.split('/ack/')[1] as string;
    expect(verifyAckToken(token, key, 1_000)).toEqual({ ok: true, claims });
  });

  it('shows a valid link without acknowledging, and acknowledges only on confirm, as the contact', async () => {
    const { alert, token } = fire();
    const shown = inspectAckLink(token, deps(), clock.now());
    expect(shown).toMatchObject({ ok: true, contact: 'cto' });
    expect(state.store.openIncident(alert.id)?.ack).toBeUndefined();
    await clock.advance(7 * MIN);
    const done = confirmAckLink(token, '  restarting api ', deps(), clock.now());
    expect(done).toMatchObject({
      ok: true,
      ack: { who: 'cto', comment: 'restarting api', via: 'link', at: clock.now() },
    });
    expect(state.store.openIncident(alert.id)?.status).toBe('acked');
    const again = confirmAckLink(token, undefined, deps(), clock.now());
    expect(again).toMatchObject({ ok: false, code: 'ALREADY_ACKED', status: 409 });
    expect(again.ok || again.message).toContain('already acknowledged by cto at 2026-01-01 10:07:00 (UTC+00:00)');
  });

  it('refuses an expired link with when it expired', async () => {
    const { token } = fire();
    await clock.advance(HOUR + 1);
    const r = confirmAckLink(token, undefined, deps(), clock.now());
    expect(r).toMatchObject({ ok: false, code: 'LINK_EXPIRED', status: 410 });
    expect(r.ok || r.message).toContain('expired at 2026-01-01 11:00:00 (UTC+00:00)');
  });

  it('refuses forged links: altered claims, another key, a cut signature, garbage', () => {
    const { incident, alert, token } = fire();
    const [, sig] = token.split('.') as [string, string];
    const otherContact = Buffer.from(
      JSON.stringify({ i: incident.id, a: alert.id, c: 'attacker', e: clock.now() + HOUR }),
    ).toString('base64url');
    const otherKey = signAckToken(
      { incidentId: incident.id, alertId: alert.id, contact: 'cto', expires: clock.now() + HOUR },
      new Secret('guessed'),
    );
    for (const forged of [`${otherContact}.${sig}`, otherKey, token.slice(0, -4)]) {
      expect(confirmAckLink(forged, undefined, deps(), clock.now())).toMatchObject({
        code: 'LINK_FORGED',
        status: 403,
      });
    }
    expect(inspectAckLink('not-a-token', deps(), clock.now())).toMatchObject({ code: 'LINK_MALFORMED', status: 400 });
    expect(state.store.openIncident(alert.id)?.ack).toBeUndefined();
  });

  it('refuses a link replayed after the alert resolved, also once it fires again', () => {
    const { alert, token } = fire();
    esc.handle([resolved(alert, clock.now())], clock.now());
    const r = confirmAckLink(token, undefined, deps(), clock.now());
    expect(r).toMatchObject({ ok: false, code: 'NOT_FIRING', status: 410 });
    expect(r.ok || r.message).toContain('resolved at');
    // A new episode of the same alert is a new incident: the old link does not acknowledge it.
    esc.handle([firing(alert, clock.now())], clock.now());
    expect(confirmAckLink(token, undefined, deps(), clock.now())).toMatchObject({ code: 'NOT_FIRING' });
    expect(state.store.openIncident(alert.id)?.ack).toBeUndefined();
  });

  it('refuses every link when no link secret is configured', () => {
    const { token } = fire();
    expect(inspectAckLink(token, { ...deps(), linkSecret: undefined }, clock.now())).toMatchObject({
      code: 'LINK_DISABLED',
      status: 503,
    });
  });
});

describe('short ack links (SMS)', () => {
  /** A P0 paging cto and lead, and cto's short token for it, valid for an hour. */
  function fireShort(contact = 'cto') {
    esc = new Escalator(state.all, escalationConfig({ raw: { levels: { P0: { contacts: ['cto', 'lead'] } } } }));
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    const incident = state.store.openIncident(alert.id);
    if (!incident) throw new Error('no incident');
    const token = signShortAckToken({ incidentId: incident.id, contact, expires: clock.now() + HOUR }, key);
    return { alert, incident, token };
  }
  const pagedFor = (id: number) => state.store.paged(id);

  it('is about 20 characters under /a/, and names its incident, its contact and its expiry minute', () => {
    const { incident, token } = fireShort();
    const url = shortAckLinkUrl(
      'https://centinela.example/',
      { incidentId: incident.id, contact: 'cto', expires: 1 },
      key,
    );
    expect(url).toMatch(/^https:\/\/centinela\.example\/a\/[\w-]{14,22}$/);
    // Six-digit incident ids and the minutes of this century still make 20 characters.
    expect(
      signShortAckToken({ incidentId: 999_999, contact: 'tech_lead', expires: Date.UTC(2099, 0) }, key),
    ).toHaveLength(20);
    expect(verifyAckLink(token, key, clock.now(), pagedFor)).toEqual({
      ok: true,
      claims: { incidentId: incident.id, contact: 'cto', expires: clock.now() + HOUR },
    });
  });

  it('shows without acknowledging, and acknowledges on confirm as the contact it was signed for', () => {
    const { alert, token } = fireShort('lead');
    expect(inspectAckLink(token, deps(), clock.now())).toMatchObject({ ok: true, contact: 'lead' });
    expect(state.store.openIncident(alert.id)?.ack).toBeUndefined();
    expect(confirmAckLink(token, 'on it', deps(), clock.now())).toMatchObject({
      ok: true,
      ack: { who: 'lead', comment: 'on it', via: 'link' },
    });
    expect(confirmAckLink(token, undefined, deps(), clock.now())).toMatchObject({ code: 'ALREADY_ACKED', status: 409 });
  });

  it('refuses every altered token, another key, a contact never paged and another incident, acknowledging nothing', () => {
    const { alert, incident, token } = fireShort();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // Every one-character change of the token.
    const altered = [...token].flatMap((ch, i) =>
      [...alphabet].filter((c) => c !== ch).map((c) => `${token.slice(0, i)}${c}${token.slice(i + 1)}`),
    );
    const others = [
      signShortAckToken({ incidentId: incident.id, contact: 'cto', expires: clock.now() + HOUR }, new Secret('guess')),
      signShortAckToken({ incidentId: incident.id, contact: 'attacker', expires: clock.now() + HOUR }, key),
      signShortAckToken({ incidentId: incident.id + 1, contact: 'cto', expires: clock.now() + HOUR }, key),
      signShortAckToken({ incidentId: incident.id, contact: 'cto', expires: clock.now() + 2 * HOUR }, key).slice(
        0,
        -11,
      ) + token.slice(-11),
    ];
    for (const forged of [...altered, ...others]) {
      const r = confirmAckLink(forged, undefined, deps(), clock.now());
      expect(r.ok, forged).toBe(false);
      expect(['LINK_FORGED', 'LINK_MALFORMED']).toContain(r.ok || r.code);
    }
    for (const forged of others) {
      expect(inspectAckLink(forged, deps(), clock.now())).toMatchObject({ code: 'LINK_FORGED', status: 403 });
    }
    expect(state.store.openIncident(alert.id)?.ack).toBeUndefined();
  });

  it('refuses a damaged token as such: cut short, stray characters, padding, an endless varint', () => {
    const { token } = fireShort();
    const endless = Buffer.from([...Array(9).fill(0xff), 1, ...Array(8).fill(0)]).toString('base64url');
    for (const damaged of [token.slice(0, 8), `${token}=`, `${token.slice(0, 5)}+${token.slice(6)}`, endless, '']) {
      expect(verifyAckLink(damaged, key, clock.now(), pagedFor), damaged).toEqual({ ok: false, problem: 'malformed' });
    }
  });

  it('refuses it expired (at the minute), and once the incident resolved, as the long link does', async () => {
    const { alert, token } = fireShort();
    await clock.advance(HOUR + 1);
    const late = confirmAckLink(token, undefined, deps(), clock.now());
    expect(late).toMatchObject({ ok: false, code: 'LINK_EXPIRED', status: 410 });
    expect(late.ok || late.message).toContain('expired at 2026-01-01 11:00:00 (UTC+00:00)');
    const fresh = fireShort();
    expect(fresh.alert.id).toBe(alert.id);
    esc.handle([resolved(alert, clock.now())], clock.now());
    expect(confirmAckLink(fresh.token, undefined, deps(), clock.now())).toMatchObject({
      code: 'NOT_FIRING',
      status: 410,
    });
  });
});

describe('ackAlert (API, CLI)', () => {
  it('acknowledges, then answers already-acknowledged, unknown and resolved with codes', () => {
    const { alert } = fire();
    expect(
      ackAlert(esc, alert.id, { by: 'ana', comment: 'looking', via: 'api' }, clock.now(), DEFAULT_READING),
    ).toMatchObject({
      ok: true,
      ack: { who: 'ana', comment: 'looking', via: 'api' },
    });
    expect(ackAlert(esc, alert.id, { by: 'bob', via: 'api' }, clock.now(), DEFAULT_READING)).toMatchObject({
      code: 'ALREADY_ACKED',
    });
    expect(ackAlert(esc, 'nope', { by: 'bob', via: 'api' }, clock.now(), DEFAULT_READING)).toMatchObject({
      code: 'ALERT_NOT_FOUND',
      status: 404,
    });
    esc.handle([resolved(alert, clock.now())], clock.now());
    expect(ackAlert(esc, alert.id, { by: 'bob', via: 'api' }, clock.now(), DEFAULT_READING)).toMatchObject({
      code: 'NOT_FIRING',
      status: 409,
    });
  });

  it('tells the others paged who acknowledged, and drops their pending reminders', async () => {
    const cfg = escalationConfig({
      raw: { delivery: { group_wait: '1m' }, levels: { P0: { contacts: ['cto', 'lead'] } } },
    });
    esc = new Escalator(state.all, cfg);
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    await clock.advance(5 * MIN);
    esc.tick(clock.now());
    ackAlert(esc, alert.id, { by: 'cto', via: 'api' }, clock.now(), DEFAULT_READING);
    const rows = state.store.outboxRows().map((r) => `${r.kind} ${r.contact} ${r.state}`);
    expect(rows).toEqual([
      'firing cto superseded',
      'firing lead superseded',
      'reminder cto superseded',
      'reminder lead superseded',
      'acknowledged lead pending',
    ]);
  });

  it('stops a first page still being retried, or in flight, so it does not fail over and arrive after the ack', async () => {
    const cfg = escalationConfig({ raw: { levels: { P0: { contacts: ['cto', 'lead'] } } } });
    esc = new Escalator(state.all, cfg);
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    await clock.advance(MIN);
    // cto's push fails and is retried; lead's is being sent when the ack comes.
    const [cto, lead] = state.store.claimDue(clock.now(), 10, 10).flat();
    if (!cto || !lead) throw new Error('no pages to claim');
    state.store.recordAttempt([cto.id], {
      ok: false,
      channel: 'push',
      at: clock.now(),
      error: 'ECONNREFUSED',
      nextAttemptAt: clock.now() + 30_000,
      channelIndex: 0,
      failingSince: clock.now(),
    });
    await clock.advance(10_000);
    state.store.claimDue(clock.now(), 10, 10);
    ackAlert(esc, alert.id, { by: 'ana', via: 'page' }, clock.now(), DEFAULT_READING);
    // lead's send fails after the ack: it would move on to the next channel now.
    state.store.recordAttempt([lead.id], {
      ok: false,
      channel: 'push',
      at: clock.now(),
      error: 'ECONNREFUSED',
      nextAttemptAt: clock.now(),
      channelIndex: 1,
      failingSince: null,
    });
    const pages = state.store.outboxRows().filter((r) => r.kind === 'firing');
    expect(pages.map((r) => `${r.contact} ${r.state}`)).toEqual(['cto superseded', 'lead superseded']);
    await clock.advance(10 * MIN);
    expect(
      state.store
        .claimDue(clock.now(), 10, 10)
        .flat()
        .filter((r) => r.kind === 'firing'),
    ).toEqual([]);
  });

  it('drops reminders still queued when the alert resolves, so none arrives after the resolution', async () => {
    const cfg = escalationConfig({ raw: { delivery: { group_wait: '1m' }, levels: { P0: { contacts: ['cto'] } } } });
    esc = new Escalator(state.all, cfg);
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    await clock.advance(5 * MIN);
    esc.tick(clock.now());
    esc.handle([resolved(alert, clock.now())], clock.now());
    const rows = state.store.outboxRows().map((r) => `${r.kind} ${r.contact} ${r.state}`);
    expect(rows).toEqual(['firing cto pending', 'reminder cto superseded', 'resolved cto pending']);
  });
});
