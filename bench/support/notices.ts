// What a monitoring system told its receivers, read back by a bench: each email, webhook or push as a notice (a page
// or an all-clear, for which alerts, when it arrived), and per injected fault the time to the first page, the time
// to the all-clear after the repair, and the all-clears sent while the fault was still there.
import { CATALOGUE } from '../../src/locale/catalogue.js';
import { PAGE_KINDS } from '../../src/notifiers/notifier.js';

/** What a notification says about its alerts. */
export type NoticeEvent = 'page' | 'resolved' | 'other';

/** One notification as a receiver saw it. */
export interface Notice {
  /** Arrival at the receiver, epoch ms. */
  at: number;
  event: NoticeEvent;
  /** The alert names it is about. */
  alerts: string[];
}

const names = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const inEveryLocale = (key: 'tag.resolved' | 'headline.acknowledged') =>
  Object.values(CATALOGUE).map((texts) => texts[key]);
const RESOLVED_TAGS = inEveryLocale('tag.resolved').map((tag) => `[${tag}]`);
const ACKNOWLEDGED = inEveryLocale('headline.acknowledged').map((text) => text.slice(0, text.indexOf('{')));

/**
 * centinela's email, in any of its languages: `[RESOLVED] …` (`[RESUELTA] …`) is an all-clear, `[P1] Acknowledged by …`
 * (`[P1] Reconocida por …`) news, anything else a page.
 */
export function centinelaEmail(subject: string, alertsHeader: string): Omit<Notice, 'at'> {
  const event = RESOLVED_TAGS.some((tag) => subject.startsWith(tag))
    ? 'resolved'
    : ACKNOWLEDGED.some((text) => /^\[P\d\] /.test(subject) && subject.slice(5).startsWith(text))
      ? 'other'
      : 'page';
  return { event, alerts: names(alertsHeader) };
}

/** centinela's generic webhook (`centinela.alert.v1`): one notice per notification in the body. */
export function centinelaWebhook(body: string): Omit<Notice, 'at'>[] {
  const { notifications } = JSON.parse(body) as { notifications: { event: string; alert: { name: string } }[] };
  return notifications.map((n) => ({
    event: (PAGE_KINDS as readonly string[]).includes(n.event) ? 'page' : n.event === 'resolved' ? 'resolved' : 'other',
    alerts: [n.alert.name],
  }));
}

/**
 * centinela's ntfy push: the first tag is an emoji (✅ for an all-clear, ☑️ for an ack, a priority's for a page), a page
 * then carries its priority, and the alert names follow.
 */
export function centinelaPush(body: string): Omit<Notice, 'at'> {
  const [emoji, ...rest] = (JSON.parse(body) as { tags: string[] }).tags;
  if (emoji === 'white_check_mark') return { event: 'resolved', alerts: rest };
  if (emoji === 'ballot_box_with_check') return { event: 'other', alerts: rest };
  return { event: 'page', alerts: /^P\d$/.test(rest[0] ?? '') ? rest.slice(1) : rest };
}

/** Alertmanager's webhook: the group's status (`resolved` once every alert of it is) and its alert names. */
export function alertmanagerWebhook(body: string): Omit<Notice, 'at'> {
  const group = JSON.parse(body) as { status: string; alerts: { labels: { alertname: string } }[] };
  return {
    event: group.status === 'resolved' ? 'resolved' : 'page',
    alerts: [...new Set(group.alerts.map((a) => a.labels.alertname))],
  };
}

/** Alertmanager's default email subject: `[FIRING:2] ApiErrorRateHigh (…)` or `[RESOLVED] ApiErrorRateHigh (…)`. */
export function alertmanagerEmail(subject: string): Omit<Notice, 'at'> {
  const m = /^\[(FIRING(?::\d+)?|RESOLVED)\]\s+(\S+)/.exec(subject);
  if (!m) return { event: 'other', alerts: [] };
  return { event: m[1] === 'RESOLVED' ? 'resolved' : 'page', alerts: [m[2] as string] };
}

/** One fault as a bench injected it: the alerts that report it, and when it was injected, repaired and left. */
export interface FaultWindow {
  alerts: readonly string[];
  injectedAt: number;
  repairedAt: number;
  /** When the bench stopped waiting for this fault's all-clear. */
  endAt: number;
}

/** How one system told of one fault; times in seconds, undefined when it never did within the window. */
export interface FaultOutcome {
  /** Injection → the first page about one of the fault's alerts. */
  page?: number;
  /** Repair → the first all-clear of one of them. */
  allClear?: number;
  /** All-clears of the fault's alerts sent after its first page while the fault was still there. */
  falseClears: number;
}

const about = (n: Notice, alerts: readonly string[]) => n.alerts.some((a) => alerts.includes(a));

/** What one system's notices (in arrival order) say about one fault. */
export function faultOutcome(notices: readonly Notice[], fault: FaultWindow): FaultOutcome {
  const within = (n: Notice, from: number, to: number) => n.at >= from && n.at <= to && about(n, fault.alerts);
  const firstPage = notices.find((n) => n.event === 'page' && within(n, fault.injectedAt, fault.endAt));
  if (!firstPage) return { falseClears: 0 };
  const allClear = notices.find((n) => n.event === 'resolved' && within(n, fault.repairedAt, fault.endAt));
  return {
    page: (firstPage.at - fault.injectedAt) / 1000,
    allClear: allClear && (allClear.at - fault.repairedAt) / 1000,
    falseClears: notices.filter((n) => n.event === 'resolved' && within(n, firstPage.at, fault.repairedAt - 1)).length,
  };
}

/**
 * Pages no fault explains: about an alert that reports none of the faults, or that reports one but came outside its
 * window. One entry per alert named, in arrival order.
 */
export function unexplainedPages(
  notices: readonly Notice[],
  faults: readonly FaultWindow[],
): { alert: string; at: number }[] {
  return notices.flatMap((n) =>
    n.event !== 'page'
      ? []
      : n.alerts
          .filter((alert) => !faults.some((f) => f.alerts.includes(alert) && n.at >= f.injectedAt && n.at <= f.endAt))
          .map((alert) => ({ alert, at: n.at })),
  );
}
