// The second pass, over every entry the schema accepted (even when others in the file were refused): names that
// must exist, schedules that must make sense, escalation chains that must end, rules that must compile. Pure: it
// returns findings per file and never throws.
import cron from 'node-cron';
import { didYouMean } from '../did-you-mean.js';
import { formatDuration } from '../duration.js';
import { excerpt } from '../excerpt.js';
import { validTimeZone } from '../locale/locale.js';
import type { Matcher } from '../matchers.js';
import { unknownName } from '../rules/known-names.js';
import { ALERTS_REFUSED, CANNOT_MEASURE, compileRules, HEALTH_NOT_BACK } from '../rules/rule.js';
import { PRIORITIES, type Priority } from '../types.js';
import { type Finding, joinOr, type PathKey } from './errors.js';
import type { Quoting } from './quoting.js';
import { recurringWindowFindings } from './recurring-windows.js';
import type { AlertsFile, CentinelaFile, EscalationFile, RuleConfig, Salvaged, SourceConfig } from './schema.js';

/** The files of a configuration folder, by their role. */
export type FileKey = 'alerts' | 'escalation' | 'centinela';

/** A finding and the file it belongs to. */
export type FileFinding = Finding & { file: FileKey };

/** What the schema accepted of each file; checks that need what is missing are skipped. */
export interface CheckedFiles {
  alerts?: Salvaged<AlertsFile>;
  escalation?: Salvaged<EscalationFile>;
  /** Its defaults when the file is left out. */
  centinela?: Salvaged<CentinelaFile>;
}

/**
 * The names a file's collections define as written, refused entries included, so that naming a broken entry is
 * not "no such" (its own problem is told where it is): a list's by index (undefined where an entry has no name),
 * a map's keys. A collection left out is unknown, and nothing is checked against it.
 */
export type Names = Partial<Record<string, readonly (string | undefined)[]>>;

/** The names of both files that hold names. */
export interface DefinedNames {
  alerts?: Names;
  escalation?: Names;
}

/**
 * Every cross-reference problem of the files given; `quoting` says which of a file's values its messages may quote
 * (never one from the environment), and `names` defaults to the names of the entries given.
 */
export function checkReferences(
  files: CheckedFiles,
  quoting: (file: FileKey) => Quoting,
  names: DefinedNames = namesOf(files),
): FileFinding[] {
  const out: FileFinding[] = [];
  const { alerts, escalation, centinela } = files;
  const alertNames = names.alerts ?? {};
  const escalationNames = names.escalation ?? {};
  if (alerts) for (const f of checkAlerts(alerts, alertNames, quoting('alerts'))) out.push({ ...f, file: 'alerts' });
  if (escalation) {
    for (const f of checkEscalation(escalation, escalationNames, quoting('escalation'))) {
      out.push({ ...f, file: 'escalation' });
    }
  }
  if (alerts && escalation) {
    for (const f of checkRouting(alerts, escalationNames, quoting('alerts'))) out.push({ ...f, file: 'alerts' });
  }
  if (alerts) {
    for (const f of sharedTokens(alerts.sources ?? [], centinela?.server)) out.push({ ...f, file: 'alerts' });
  }
  if (centinela?.timezone !== undefined && !validTimeZone(centinela.timezone)) {
    out.push({ ...badTimeZone(['timezone'], centinela.timezone, quoting('centinela')), file: 'centinela' });
  }
  return out;
}

/**
 * The levels with every omitted `escalate_to` filled in: the next more urgent level that is defined
 * (P3 → P2 → P1 → P0), or `none` for the most urgent one.
 */
export function withDefaultEscalation(escalation: EscalationFile): EscalationFile {
  return { ...escalation, levels: defaultEscalation(escalation.levels) };
}

function defaultEscalation(given: EscalationFile['levels']): EscalationFile['levels'] {
  const levels: EscalationFile['levels'] = {};
  for (const p of PRIORITIES) {
    const level = given[p];
    if (level) levels[p] = { ...level, escalate_to: level.escalate_to ?? nextUp(given, p) };
  }
  return levels;
}

function namesOf({ alerts, escalation }: CheckedFiles): DefinedNames {
  const listed = (list: readonly ({ name: string } | undefined)[] | undefined) => list?.map((e) => e?.name);
  const keys = (map: object | undefined) => (map ? Object.keys(map) : undefined);
  return {
    alerts: {
      probes: listed(alerts?.probes),
      rules: listed(alerts?.rules),
      maintenance: listed(alerts?.maintenance),
      sources: listed(alerts?.sources),
    },
    escalation: {
      levels: keys(escalation?.levels),
      contacts: keys(escalation?.contacts),
      channels: keys(escalation?.channels),
    },
  };
}

const NOTHING_WATCHED =
  'alerts.yaml has no rules: centinela would watch nothing and page no one. Write the rules (config/alerts.yaml of ' +
  'the release is a start), or sources: when the alerts come from Prometheus or Grafana';

function checkAlerts(alerts: Salvaged<AlertsFile>, names: Names, q: Quoting): Finding[] {
  const out: Finding[] = [];
  for (const list of ['probes', 'rules', 'maintenance', 'sources'] as const) {
    for (const finding of duplicates(list, names[list] ?? [], q)) out.push(finding);
  }
  for (const finding of tokenlessSources(alerts.sources ?? [])) out.push(finding);
  // Emptied by mistake (or a reload of a truncated file), it would turn all monitoring off without a word. Probes
  // alone still raise CannotMeasure, and sources page on their own.
  if ((['probes', 'rules', 'sources'] as const).every((list) => names[list]?.length === 0)) {
    out.push({ path: [], message: NOTHING_WATCHED });
  }

  alerts.probes?.forEach((probe, i) => {
    if (!probe) return;
    const at: PathKey[] = ['probes', i];
    if (probe.every !== undefined && probe.cron !== undefined) {
      out.push({ path: at, message: 'has both every and cron. Keep one' });
    } else if (probe.every === undefined && probe.cron === undefined) {
      out.push({ path: at, message: 'needs a schedule. Write every: 30s, or cron: "*/5 * * * *"' });
    }
    if (probe.cron !== undefined && !validCron(probe.cron)) out.push(badCron([...at, 'cron'], probe.cron, q));
    if (probe.every !== undefined && probe.timeout >= probe.every) {
      const timeout = q.show([...at, 'timeout'], formatDuration(probe.timeout));
      const every = q.show([...at, 'every'], formatDuration(probe.every));
      out.push({
        path: [...at, 'timeout'],
        message:
          `${timeout} is not shorter than every (${every}), so a run could still be going when the next is due. ` +
          'Lower timeout (default 10s) or raise every',
      });
    }
  });

  const probeNames = names.probes && listed('probes', names.probes, q);
  alerts.rules?.forEach((rule, i) => {
    if (!rule) return;
    if (probeNames) {
      const probe = rule.sample.split('.')[0] as string;
      const at = ['rules', i, 'sample'];
      if (!probeNames.names.includes(probe)) out.push({ path: at, message: noSuch('probe', at, probe, probeNames, q) });
      rule.diagnose.forEach((name, j) => {
        const at = ['rules', i, 'diagnose', j];
        if (!probeNames.names.includes(name)) out.push({ path: at, message: noSuch('probe', at, name, probeNames, q) });
      });
    }
    if (rule.fast && rule.fast.sample.split('.')[0] !== rule.sample.split('.')[0]) {
      const at = ['rules', i, 'fast', 'sample'];
      const own = q.show(['rules', i, 'sample'], `"${rule.sample}"`);
      out.push({
        path: at,
        message:
          `${q.show(at, `"${rule.fast.sample}"`)} is from another probe than the rule's sample (${own}). ` +
          "The fast path reads the rule's own probe runs: name a sample of that probe",
      });
    }
    const clearing = clearProblem(rule, ['rules', i], q);
    if (clearing) out.push({ path: ['rules', i, 'clear_threshold'], message: clearing });
    // Templates and reserved names are the rules' own checks; asking the compiler keeps one definition of them.
    for (const issue of compileRules({ rules: [rule] }).issues) {
      const path = ['rules', i, ...issue.path.slice(2)];
      out.push({ path, message: q.quotable(path) ? issue.message : `${q.withheld(path)} ${issue.unquoted}` });
    }
  });

  alerts.maintenance?.forEach((window, i) => {
    if (!window) return;
    if (!validCron(window.cron)) out.push(badCron(['maintenance', i, 'cron'], window.cron, q));
    if (!validTimeZone(window.timezone)) out.push(badTimeZone(['maintenance', i, 'timezone'], window.timezone, q));
  });
  for (const finding of recurringWindowFindings(alerts, q)) out.push(finding);

  // A matcher naming no alert or probe holds nothing back: `alertname: ApiDwn` looks like a window and is none.
  const ruleNames = names.rules && listed('rules', names.rules, q);
  if (ruleNames && probeNames) {
    // SourceAlertsRefused exists only where alerts come from sources.
    const builtins = [CANNOT_MEASURE, HEALTH_NOT_BACK, ...((alerts.sources ?? []).length > 0 ? [ALERTS_REFUSED] : [])];
    const defined = {
      alertname: {
        names: [...ruleNames.names, ...builtins],
        shown: [...ruleNames.shown, ...builtins],
        hints: [...ruleNames.hints, ...builtins],
      },
      probe: probeNames,
    };
    const check = (matchers: readonly Matcher[] | undefined, at: PathKey[]) => {
      for (const m of matchers ?? []) {
        const unknown = unknownName(
          m,
          { alertname: defined.alertname.names, probe: defined.probe.names },
          { alertname: defined.alertname.hints, probe: defined.probe.hints },
        );
        if (!unknown) continue;
        const path = [...at, m.label];
        const written = m.op === '=' ? m.value : `${m.op}${m.value}`;
        const quotable = q.quotable(path);
        const closest = quotable ? unknown.closest : '';
        const list = defined[unknown.label].shown;
        out.push({
          path,
          message: `${q.show(path, `"${excerpt(written)}"`)} ${quotable ? unknown.why : unknown.unquoted}.${closest || ` Defined: ${list.join(', ') || 'none'}.`}`,
        });
      }
    };
    alerts.maintenance?.forEach((window, i) => {
      check(window?.match, ['maintenance', i, 'match']);
    });
    alerts.inhibit?.forEach((rule, i) => {
      check(rule?.source, ['inhibit', i, 'source']);
      check(rule?.target, ['inhibit', i, 'target']);
    });
  }
  return out;
}

function checkEscalation(escalation: Salvaged<EscalationFile>, names: Names, q: Quoting): Finding[] {
  const out: Finding[] = [];
  const levelNames = names.levels && PRIORITIES.filter((p) => names.levels?.includes(p));
  const contactNames = names.contacts && keyed(names.contacts);
  const channelNames = names.channels && keyed(names.channels);
  if (levelNames?.length === 0) {
    out.push({
      path: ['levels'],
      message: 'defines no level. Define at least P0 (ack_within, repeat_every, contacts)',
    });
  }

  const levels = escalation.levels ?? {};
  for (const p of PRIORITIES) {
    const level = levels[p];
    if (!level) continue;
    const knownContacts = (list: readonly string[], at: PathKey[]): void => {
      list.forEach((name, j) => {
        const path = [...at, j];
        if (contactNames && !contactNames.names.includes(name)) {
          out.push({ path, message: noSuch('contact', path, name, contactNames, q) });
        }
      });
    };
    knownContacts(level.contacts, ['levels', p, 'contacts']);
    for (const [k, step] of (level.steps ?? []).entries()) {
      knownContacts(step.contacts, ['levels', p, 'steps', k, 'contacts']);
    }
    const to = level.escalate_to;
    const at = ['levels', p, 'escalate_to'];
    if (to === p) {
      out.push({ path: at, message: `${p} escalates to itself. Write a more urgent level or none` });
    } else if (to !== undefined && to !== 'none' && levelNames && !levelNames.includes(to)) {
      const what = q.quotable(at) ? `no level ${to}` : `${q.withheld(at)} names no level`;
      out.push({ path: at, message: `${what}. Defined: ${levelNames.join(', ')}; or write none` });
    }
  }
  // Where a chain goes depends on every level: with one refused, a cycle could be missed or made up.
  if (levelNames?.every((p) => levels[p])) for (const finding of cycles(levels)) out.push(finding);

  for (const [name, contact] of Object.entries(escalation.contacts ?? {})) {
    const at = ['contacts', name];
    if (contact.email && !/^[^@\s]+@[^@\s]+$/.test(contact.email.replace(/^.*<(.*)>\s*$/, '$1'))) {
      const path = [...at, 'email'];
      out.push({ path, message: `${q.show(path, `"${contact.email}"`)} is not an email address` });
    }
    if (contact.channels.length === 0) {
      out.push({
        path: at,
        message: `has no channels, so nobody could page it. Add channels: [${channelNames?.names[0] ?? 'email'}]`,
      });
    }
    if (!channelNames) continue;
    contact.channels.forEach((channel, j) => {
      const path = [...at, 'channels', j];
      if (!channelNames.names.includes(channel)) {
        out.push({ path, message: noSuch('channel', path, channel, channelNames, q) });
      }
    });
    const channels = escalation.channels ?? {};
    const known = contact.channels.flatMap((c, j) => (channelNames.names.includes(c) ? [{ c, j }] : []));
    // A refused channel's kind is not known, so neither is whether the contact can be paged through it.
    if (known.length === 0 || !known.every(({ c }) => Object.hasOwn(channels, c))) continue;
    if (known.every(({ c }) => channels[c]?.kind === 'email') && !contact.email) {
      const shown = known.map(({ c, j }) => q.show([...at, 'channels', j], c));
      out.push({
        path: at,
        message: `has no usable channel: ${joinOr(shown)} ${known.length === 1 ? 'is an email channel' : 'are email channels'} and it has no email. Add email: or a webhook channel`,
      });
    }
    const phones = known.flatMap(({ c, j }) => {
      const ch = channels[c];
      return ch?.kind === 'webhook' && ch.format === 'twilio' ? [{ c, j, mode: ch.mode }] : [];
    });
    if (phones.length && !contact.phone?.trim()) {
      const shown = phones.map(({ c, j }) => q.show([...at, 'channels', j], c));
      const one = phones.length === 1;
      const calls = phones.filter((p) => p.mode === 'call').length;
      const does =
        calls === 0
          ? `${one ? 'sends' : 'send'} SMS to it`
          : calls === phones.length
            ? `${one ? 'calls' : 'call'} it`
            : 'text or call it';
      out.push({ path: at, message: `has no phone, and ${joinOr(shown)} ${does}. Add phone: "+593 99 123 4567"` });
    }
  }
  return out;
}

/** Every priority a rule can page must have a level, or nobody would be paged. */
function checkRouting(alerts: Salvaged<AlertsFile>, names: Names, q: Quoting): Finding[] {
  const out: Finding[] = [];
  if (!names.levels) return out;
  const defined = PRIORITIES.filter((p) => names.levels?.includes(p));
  const missing = (p: Priority) =>
    `no level ${p} in escalation.yaml, so nobody would be paged. Defined: ${defined.join(', ')}`;
  const contactNames = names.contacts && keyed(names.contacts);
  alerts.rules?.forEach((rule, i) => {
    for (const p of PRIORITIES) {
      if (rule && rule.thresholds[p] !== undefined && !defined.includes(p)) {
        out.push({ path: ['rules', i, 'thresholds', p], atKey: true, message: missing(p) });
      }
    }
    rule?.also_page.forEach((contact, j) => {
      const path = ['rules', i, 'also_page', j];
      if (contactNames && !contactNames.names.includes(contact)) {
        out.push({
          path,
          message: `${noSuch('contact', path, contact, contactNames, q)} Contacts are in escalation.yaml`,
        });
      }
    });
  });
  const p = alerts.evaluation?.cannot_measure;
  const at = ['evaluation', 'cannot_measure'];
  if (p && !defined.includes(p)) {
    const level = q.quotable(at) ? `level ${p}` : 'such level';
    out.push({
      path: at,
      message: `"cannot measure" alerts go to ${q.show(at, p)}, but escalation.yaml has no ${level}. Use one of ${defined.join(', ')}`,
    });
  }
  return out;
}

/** Chains that never reach `none`, each reported once at the most urgent level that names its next step. */
function cycles(given: EscalationFile['levels']): Finding[] {
  const levels = defaultEscalation(given);
  const out: Finding[] = [];
  const seen = new Set<Priority>();
  for (const start of PRIORITIES) {
    const trail: Priority[] = [];
    let p: Priority | 'none' | undefined = start;
    while (p && p !== 'none' && levels[p] && !trail.includes(p) && !seen.has(p)) {
      trail.push(p);
      p = levels[p]?.escalate_to;
    }
    for (const t of trail) seen.add(t);
    if (!p || p === 'none' || !trail.includes(p)) continue;
    const loop = trail.slice(trail.indexOf(p));
    if (loop.length === 1) continue; // escalating to itself is reported on its own
    const byUrgency = (a: Priority, b: Priority) => PRIORITIES.indexOf(a) - PRIORITIES.indexOf(b);
    const explicit = loop.filter((q) => given[q]?.escalate_to !== undefined).sort(byUrgency);
    const first = explicit[0] ?? ([...loop].sort(byUrgency)[0] as Priority);
    const from = loop.indexOf(first);
    const shown = [...loop.slice(from), ...loop.slice(0, from), first];
    out.push({
      path: ['levels', first, 'escalate_to'],
      message:
        `escalation cycle ${shown.join(' → ')}. A level without escalate_to climbs to the next more ` +
        'urgent one; end the chain with escalate_to: none',
    });
  }
  return out;
}

function nextUp(levels: EscalationFile['levels'], p: Priority): Priority | 'none' {
  const more = PRIORITIES.slice(0, PRIORITIES.indexOf(p)).filter((q) => levels[q]);
  return more.at(-1) ?? 'none';
}

/**
 * The write token feeds the one source without its own token; a second one without could not be told apart, so
 * each source after the first without a token is a finding.
 */
function tokenlessSources(sources: readonly (SourceConfig | undefined)[]): Finding[] {
  const without = sources.flatMap((s, i) => (s && s.token === undefined ? [i] : []));
  return without.slice(1).map((i) => ({
    path: ['sources', i, 'token'],
    message:
      `is not set, and sources[${without[0]}] has no token either: the write token feeds only one source, ` +
      'so centinela could not tell which one sent an alert. Give each source but one its own token: ${ENV_VAR}',
  }));
}

/**
 * A source is told by its token, so two sources with one token could not be told apart (the first would take both's
 * alerts). A source's token that is the write token is what leaving `token` out means (the write token feeds that
 * source), so it is said that way; one that is the read token would let whoever may read (a dashboard) send alerts.
 * Tokens come from the environment: no message shows one.
 */
function sharedTokens(
  sources: readonly (SourceConfig | undefined)[],
  server: Salvaged<CentinelaFile>['server'],
): Finding[] {
  const out: Finding[] = [];
  const first = new Map<string, number>();
  sources.forEach((s, i) => {
    const token = s?.token?.reveal();
    if (token === undefined) return;
    const path = ['sources', i, 'token'];
    const earlier = first.get(token);
    if (earlier === undefined) first.set(token, i);
    else {
      out.push({
        path,
        message:
          `is the token of sources[${earlier}] too: centinela tells a source by its token, so each needs its own. ` +
          'Generate one with openssl rand -hex 16',
      });
    }
    if (server?.write_token?.reveal() === token) {
      out.push({
        path,
        message:
          "is centinela.yaml's server.write_token too: Prometheus' config would hold the token that acks and " +
          'silences. Leave token out to have the write token feed this source, or give it its own: openssl rand -hex 16',
      });
    }
    if (server?.read_token?.reveal() === token) {
      out.push({
        path,
        message:
          "is centinela.yaml's server.read_token too: whoever may read (a dashboard) could send alerts. Give the " +
          'source its own token: openssl rand -hex 16',
      });
    }
  });
  return out;
}

function duplicates(list: string, names: readonly (string | undefined)[], q: Quoting): Finding[] {
  const out: Finding[] = [];
  names.forEach((name, i) => {
    const first = names.indexOf(name);
    const path = [list, i, 'name'];
    if (name !== undefined && first !== i) {
      out.push({
        path,
        message: `${q.show(path, `"${name}"`)} is already the name of ${list}[${first}]. Names must be unique`,
      });
    }
  });
  return out;
}

/** The names a collection defines, once each; how a message lists them; the ones a did-you-mean may offer. */
interface Candidates {
  names: string[];
  shown: string[];
  hints: string[];
}

/** A list's names (`probes[j].name`): one from the environment is listed by its variables and never offered. */
function listed(field: string, names: readonly (string | undefined)[], q: Quoting): Candidates {
  const out: Candidates = { names: [], shown: [], hints: [] };
  names.forEach((name, j) => {
    if (name === undefined || out.names.includes(name)) return;
    const path = [field, j, 'name'];
    out.names.push(name);
    out.shown.push(q.show(path, name));
    if (q.quotable(path)) out.hints.push(name);
  });
  return out;
}

/** A map's names: its keys, which are written in the file. */
function keyed(names: readonly (string | undefined)[]): Candidates {
  const present = [...new Set(names.filter((n): n is string => n !== undefined))];
  return { names: present, shown: present, hints: present };
}

/** `no probe "api_helth". Did you mean "api_health"? Defined: …`, for `name` at `at`. */
function noSuch(what: string, at: readonly PathKey[], name: string, defined: Candidates, q: Quoting): string {
  const list = defined.names.length > 0 ? ` Defined: ${defined.shown.join(', ')}.` : ` No ${what} is defined.`;
  if (!q.quotable(at)) return `${q.withheld(at)} names no ${what}.${list}`;
  return `no ${what} "${name}".${didYouMean(name, defined.hints)}${list}`;
}

/** A clear threshold on the breaching side of a threshold would let the alert clear while still breaching. */
function clearProblem(rule: RuleConfig, at: readonly PathKey[], q: Quoting): string | undefined {
  const clear = rule.clear_threshold;
  if (clear === undefined) return undefined;
  const op = q.show([...at, 'op'], rule.op);
  const shown = q.show([...at, 'clear_threshold'], String(clear));
  const levels = PRIORITIES.flatMap((p) => {
    const value = rule.thresholds[p];
    return value === undefined ? [] : [{ value, shown: q.show([...at, 'thresholds', p], String(value)) }];
  });
  // The schema gave the rule at least one threshold.
  if (rule.op === '>' || rule.op === '>=') {
    const lowest = levels.reduce((a, b) => (b.value < a.value ? b : a));
    if (clear > lowest.value)
      return `${shown} is above the lowest threshold (${lowest.shown}); with op ${op}, it must be at or below it`;
  } else if (rule.op === '<' || rule.op === '<=') {
    const highest = levels.reduce((a, b) => (b.value > a.value ? b : a));
    if (clear < highest.value)
      return `${shown} is below the highest threshold (${highest.shown}); with op ${op}, it must be at or above it`;
  } else {
    return `only works with >, >=, < or <=, not ${op}. Remove it`;
  }
  return undefined;
}

function validCron(expression: string): boolean {
  try {
    return cron.validate(expression);
  } catch {
    return false;
  }
}

function badCron(path: PathKey[], expression: string, q: Quoting): Finding {
  return {
    path,
    message: `${q.show(path, `"${expression}"`)} is not a cron expression. Write five fields (minute hour day month weekday), e.g. "0 2 * * 0"`,
  };
}

function badTimeZone(path: PathKey[], zone: string, q: Quoting): Finding {
  // A near miss would hint at what the value is.
  const hint = q.quotable(path) ? didYouMean(zone, Intl.supportedValuesOf('timeZone')) : '';
  return {
    path,
    message: `${q.show(path, `"${zone}"`)} is not a time zone.${hint} Write an IANA name such as America/Guayaquil or UTC`,
  };
}
