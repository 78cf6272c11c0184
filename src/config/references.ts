// The second pass over a configuration the schema accepted: names that must exist, schedules that must make
// sense, escalation chains that must end, rules that must compile. Pure: it returns findings per file and never throws.
import cron from 'node-cron';
import { compileRules } from '../rules/rule.js';
import { PRIORITIES, type Priority } from '../types.js';
import { formatDuration } from './duration.js';
import { didYouMean, type Finding, joinOr, type PathKey } from './errors.js';
import { PLANNED_KINDS } from './probes.js';
import type { AlertsFile, CentinelaFile, EscalationFile } from './schema.js';

/** The files of a configuration folder, by their role. */
export type FileKey = 'alerts' | 'escalation' | 'centinela';

/** A finding and the file it belongs to. */
export type FileFinding = Finding & { file: FileKey };

/** Whichever files the schema accepted; checks that need a missing file are skipped. */
export interface CheckedFiles {
  alerts?: AlertsFile;
  escalation?: EscalationFile;
  centinela?: CentinelaFile;
}

/** Every cross-reference problem of the files given. */
export function checkReferences(files: CheckedFiles): FileFinding[] {
  const out: FileFinding[] = [];
  if (files.alerts) for (const f of checkAlerts(files.alerts)) out.push({ ...f, file: 'alerts' });
  if (files.escalation) for (const f of checkEscalation(files.escalation)) out.push({ ...f, file: 'escalation' });
  if (files.alerts && files.escalation) {
    for (const f of checkRouting(files.alerts, files.escalation)) out.push({ ...f, file: 'alerts' });
  }
  if (files.centinela?.heartbeat) {
    out.push({
      file: 'centinela',
      path: ['heartbeat'],
      atKey: true,
      message: "centinela's own heartbeat is planned and not available yet. Remove the heartbeat key",
    });
  }
  return out;
}

/**
 * The levels with every omitted `escalate_to` filled in: the next more urgent level that is defined
 * (P3 → P2 → P1 → P0), or `none` for the most urgent one.
 */
export function withDefaultEscalation(escalation: EscalationFile): EscalationFile {
  const levels: EscalationFile['levels'] = {};
  for (const p of PRIORITIES) {
    const level = escalation.levels[p];
    if (level) levels[p] = { ...level, escalate_to: level.escalate_to ?? nextUp(escalation, p) };
  }
  return { ...escalation, levels };
}

function checkAlerts(alerts: AlertsFile): Finding[] {
  const out: Finding[] = [];
  const probeNames = alerts.probes.map((p) => p.name);
  out.push(
    ...duplicates('probes', probeNames),
    ...duplicates(
      'rules',
      alerts.rules.map((r) => r.name),
    ),
  );
  out.push(
    ...duplicates(
      'maintenance',
      alerts.maintenance.map((m) => m.name),
    ),
  );

  alerts.probes.forEach((probe, i) => {
    const at: PathKey[] = ['probes', i];
    if (PLANNED_KINDS.has(probe.kind)) {
      out.push({ path: [...at, 'kind'], message: `kind ${probe.kind} is planned and not available yet` });
    }
    if (probe.every !== undefined && probe.cron !== undefined) {
      out.push({ path: at, message: 'has both every and cron. Keep one' });
    } else if (probe.every === undefined && probe.cron === undefined) {
      out.push({ path: at, message: 'needs a schedule. Write every: 30s, or cron: "*/5 * * * *"' });
    }
    if (probe.cron !== undefined && !validCron(probe.cron)) out.push(badCron([...at, 'cron'], probe.cron));
    if (probe.every !== undefined && probe.timeout >= probe.every) {
      out.push({
        path: [...at, 'timeout'],
        message:
          `${formatDuration(probe.timeout)} is not shorter than every (${formatDuration(probe.every)}), ` +
          'so a run could still be going when the next is due. Lower timeout (default 10s) or raise every',
      });
    }
  });

  const known = new Set(probeNames);
  alerts.rules.forEach((rule, i) => {
    const probe = rule.sample.split('.')[0] as string;
    if (!known.has(probe)) out.push({ path: ['rules', i, 'sample'], message: noSuch('probe', probe, probeNames) });
    rule.diagnose.forEach((name, j) => {
      if (!known.has(name)) out.push({ path: ['rules', i, 'diagnose', j], message: noSuch('probe', name, probeNames) });
    });
    const clearing = clearProblem(rule.op, rule.thresholds, rule.clear_threshold);
    if (clearing) out.push({ path: ['rules', i, 'clear_threshold'], message: clearing });
  });
  // Templates and reserved names are the rules' own checks; asking the compiler keeps one definition of them.
  out.push(...compileRules(alerts).issues);

  alerts.maintenance.forEach((window, i) => {
    if (!validCron(window.cron)) out.push(badCron(['maintenance', i, 'cron'], window.cron));
    if (!validTimeZone(window.timezone)) {
      const hint = didYouMean(window.timezone, Intl.supportedValuesOf('timeZone'));
      out.push({
        path: ['maintenance', i, 'timezone'],
        message: `"${window.timezone}" is not a time zone.${hint} Write an IANA name such as America/Guayaquil or UTC`,
      });
    }
  });
  return out;
}

function checkEscalation(escalation: EscalationFile): Finding[] {
  const out: Finding[] = [];
  const contactNames = Object.keys(escalation.contacts);
  const channelNames = Object.keys(escalation.channels);
  const defined = PRIORITIES.filter((p) => escalation.levels[p]);
  if (defined.length === 0) {
    out.push({
      path: ['levels'],
      message: 'defines no level. Define at least P0 (ack_within, repeat_every, contacts)',
    });
  }

  for (const p of defined) {
    const level = escalation.levels[p];
    level?.contacts.forEach((name, j) => {
      if (!Object.hasOwn(escalation.contacts, name)) {
        out.push({ path: ['levels', p, 'contacts', j], message: noSuch('contact', name, contactNames) });
      }
    });
    const to = level?.escalate_to;
    if (to === p) {
      out.push({
        path: ['levels', p, 'escalate_to'],
        message: `${p} escalates to itself. Write a more urgent level or none`,
      });
    } else if (to !== undefined && to !== 'none' && !escalation.levels[to]) {
      out.push({
        path: ['levels', p, 'escalate_to'],
        message: `no level ${to}. Defined: ${defined.join(', ')}; or write none`,
      });
    }
  }
  out.push(...cycles(escalation));

  for (const [name, contact] of Object.entries(escalation.contacts)) {
    const at = ['contacts', name];
    if (contact.email && !/^[^@\s]+@[^@\s]+$/.test(contact.email.replace(/^.*<(.*)>\s*$/, '$1'))) {
      out.push({ path: [...at, 'email'], message: `"${contact.email}" is not an email address` });
    }
    contact.channels.forEach((channel, j) => {
      if (!Object.hasOwn(escalation.channels, channel)) {
        out.push({ path: [...at, 'channels', j], message: noSuch('channel', channel, channelNames) });
      }
    });
    const known = contact.channels.filter((c) => Object.hasOwn(escalation.channels, c));
    const usable = known.filter((c) => escalation.channels[c]?.kind !== 'email' || contact.email);
    if (contact.channels.length === 0) {
      out.push({
        path: at,
        message: `has no channels, so nobody could page it. Add channels: [${channelNames[0] ?? 'email'}]`,
      });
    } else if (known.length > 0 && usable.length === 0) {
      out.push({
        path: at,
        message: `has no usable channel: ${joinOr(known)} ${known.length === 1 ? 'is an email channel' : 'are email channels'} and it has no email. Add email: or a webhook channel`,
      });
    }
  }
  return out;
}

/** Every priority a rule can page must have a level, or nobody would be paged. */
function checkRouting(alerts: AlertsFile, escalation: EscalationFile): Finding[] {
  const out: Finding[] = [];
  const defined = PRIORITIES.filter((p) => escalation.levels[p]);
  const missing = (p: Priority) =>
    `no level ${p} in escalation.yaml, so nobody would be paged. Defined: ${defined.join(', ')}`;
  alerts.rules.forEach((rule, i) => {
    for (const p of PRIORITIES) {
      if (rule.thresholds[p] !== undefined && !escalation.levels[p]) {
        out.push({ path: ['rules', i, 'thresholds', p], atKey: true, message: missing(p) });
      }
    }
  });
  const p = alerts.evaluation.cannot_measure;
  if (!escalation.levels[p]) {
    out.push({
      path: ['evaluation', 'cannot_measure'],
      message: `"cannot measure" alerts go to ${p}, but escalation.yaml has no level ${p}. Use one of ${defined.join(', ')}`,
    });
  }
  return out;
}

/** Chains that never reach `none`, each reported once at the most urgent level that names its next step. */
function cycles(escalation: EscalationFile): Finding[] {
  const { levels } = withDefaultEscalation(escalation);
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
    const explicit = loop.filter((q) => escalation.levels[q]?.escalate_to !== undefined).sort(byUrgency);
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

function nextUp(escalation: EscalationFile, p: Priority): Priority | 'none' {
  const more = PRIORITIES.slice(0, PRIORITIES.indexOf(p)).filter((q) => escalation.levels[q]);
  return more.at(-1) ?? 'none';
}

function duplicates(list: string, names: readonly string[]): Finding[] {
  const out: Finding[] = [];
  names.forEach((name, i) => {
    const first = names.indexOf(name);
    if (first !== i) {
      out.push({
        path: [list, i, 'name'],
        message: `"${name}" is already the name of ${list}[${first}]. Names must be unique`,
      });
    }
  });
  return out;
}

function noSuch(what: string, name: string, defined: readonly string[]): string {
  const unique = [...new Set(defined)];
  const list = unique.length > 0 ? ` Defined: ${unique.join(', ')}.` : ` No ${what} is defined.`;
  return `no ${what} "${name}".${didYouMean(name, unique)}${list}`;
}

/** A clear threshold on the breaching side of a threshold would let the alert clear while still breaching. */
function clearProblem(op: string, thresholds: Partial<Record<Priority, number>>, clear?: number): string | undefined {
  if (clear === undefined) return undefined;
  const values = Object.values(thresholds).filter((v): v is number => v !== undefined);
  if (op === '>' || op === '>=') {
    const lowest = Math.min(...values);
    if (clear > lowest)
      return `${clear} is above the lowest threshold (${lowest}); with op ${op}, it must be at or below it`;
  } else if (op === '<' || op === '<=') {
    const highest = Math.max(...values);
    if (clear < highest)
      return `${clear} is below the highest threshold (${highest}); with op ${op}, it must be at or above it`;
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

function badCron(path: PathKey[], expression: string): Finding {
  return {
    path,
    message: `"${expression}" is not a cron expression. Write five fields (minute hour day month weekday), e.g. "0 2 * * 0"`,
  };
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
