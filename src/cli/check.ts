// `centinela check [--config DIR]`: validates the configuration and prints what it watches and who it pages;
// on problems, prints every one of them and exits 1.
import { Command } from 'commander';
import { envNameAt } from '../config/env-values.js';
import type { PathKey } from '../config/errors.js';
import type { Config } from '../config/schema.js';
import { formatDuration } from '../duration.js';
import { levelAckTimeout } from '../escalation/policy.js';
import { newerSchema } from '../store/migrations.js';
import { reachPostgres } from '../store/postgres.js';
import { PRIORITIES, type Priority } from '../types.js';
import {
  type CommandRun,
  type ConfigCommandDeps,
  configOption,
  loadOrIssues,
  logLevelProblem,
  shellRun,
} from './config-command.js';

/** The `check` command. */
export function checkCommand(deps: ConfigCommandDeps): Command {
  return new Command('check')
    .description('validate the configuration and print what it watches and who it pages; exit 1 on any problem')
    .addOption(configOption())
    .option(
      '--json',
      'print JSON on stdout: { valid: true, probes, rules, contacts, levels, … } or { valid: false, problems }',
    )
    .action(async (opts: { config?: string; json?: boolean }) => {
      process.exitCode = await check(shellRun(deps, opts.config), { json: opts.json ?? false });
    });
}

/**
 * Loads the folder; prints the summary to `out` and returns 0, or the problems to `err` and returns 1. With `json`,
 * both go to `out` as one JSON document.
 */
export async function check(run: CommandRun, { json = false } = {}): Promise<number> {
  // LOG_LEVEL stops every other command, so check refuses it too, beside the config's own problems.
  const level = logLevelProblem(run.env);
  const loaded = await loadOrIssues(run, {
    startup: true,
    reach: (state) => reachPostgres(state.url.reveal(), state.pool.connect_timeout),
    newerSchema,
  });
  if ('config' in loaded && !level) {
    run.out(json ? JSON.stringify(checkSummary(loaded.config), null, 2) : summarize(loaded.config));
    return 0;
  }
  const issues = 'error' in loaded ? loaded.error.issues : [];
  if (json) {
    const problems = [...(level ? [{ path: 'LOG_LEVEL', message: level }] : []), ...issues];
    run.out(JSON.stringify({ valid: false, problems }, null, 2));
  } else {
    if (level) run.err(level);
    if ('error' in loaded) run.err(loaded.error.message);
  }
  return 1;
}

/** What `check --json` prints for a valid configuration: what `summarize` tells, as data (durations in seconds). */
export function checkSummary(config: Config) {
  const { alerts, escalation } = config;
  const seconds = (ms: number | undefined) => (ms === undefined ? null : ms / 1000);
  // A value from the environment is named, not given: a duration's name is a string where its seconds would be.
  const secondsAt = (ms: number | undefined, path: PathKey[] | undefined) =>
    (path && envNameAt(config.fromEnv?.escalation, path)) ?? seconds(ms);
  const alertsValue = (text: string, path: PathKey[]) => envNameAt(config.fromEnv?.alerts, path) ?? text;
  return {
    valid: true,
    dir: config.dir,
    probes: alerts.probes.map((p) => ({ name: p.name, kind: p.kind })),
    rules: alerts.rules.map((r) => ({
      name: r.name,
      priorities: PRIORITIES.filter((p) => r.thresholds[p] !== undefined),
    })),
    contacts: Object.entries(escalation.contacts).map(([name, c]) => ({ name, channels: c.channels })),
    channels: Object.entries(escalation.channels).map(([name, c]) => ({ name, kind: c.kind })),
    levels: PRIORITIES.flatMap((priority) => {
      const level = escalation.levels[priority];
      if (!level) return [];
      return [
        {
          priority,
          contacts: level.contacts,
          channels: level.channels,
          ackWithinSeconds: secondsAt(level.ack_within, ['levels', priority, 'ack_within']),
          repeatEverySeconds: secondsAt(level.repeat_every, ['levels', priority, 'repeat_every']),
          escalateTo: level.escalate_to ?? 'none',
          ackHoldsSeconds: secondsAt(
            levelAckTimeout(escalation.levels, priority, escalation.ack.timeout),
            ackHoldPath(config, priority),
          ),
          steps: level.steps.map((s, k) => ({
            afterSeconds: secondsAt(s.after, ['levels', priority, 'steps', k, 'after']),
            contacts: s.contacts,
          })),
        },
      ];
    }),
    sources: alerts.sources.map((s) => ({
      name: s.name,
      token: s.token ? 'own' : 'write_token',
      priorityLabels: s.priority_labels,
      defaultPriority: s.default_priority,
      pageP0: s.page_p0,
    })),
    inhibitRules: alerts.inhibit.length,
    maintenance: alerts.maintenance.map((m, i) => ({
      name: m.name,
      cron: alertsValue(m.cron, ['maintenance', i, 'cron']),
      durationSeconds: envNameAt(config.fromEnv?.alerts, ['maintenance', i, 'duration']) ?? seconds(m.duration),
      timezone: alertsValue(m.timezone, ['maintenance', i, 'timezone']),
    })),
  };
}

/**
 * Where the hold of an acknowledgement at `priority` is written: the level's ack_timeout, else ack.timeout; undefined
 * where it is centinela's default.
 */
function ackHoldPath(config: Config, priority: Priority): PathKey[] | undefined {
  const { escalation } = config;
  if (escalation.levels[priority]?.ack_timeout !== undefined) return ['levels', priority, 'ack_timeout'];
  return escalation.ack.timeout !== undefined ? ['ack', 'timeout'] : undefined;
}

/** The summary `check` prints for a valid configuration; a value that came from the environment is named, not shown. */
export function summarize(config: Config): string {
  const { alerts, escalation } = config;
  const out: string[] = [];
  const shown = (file: 'alerts' | 'escalation', path: PathKey[], text: string) =>
    envNameAt(config.fromEnv?.[file], path) ?? text;
  const duration = (ms: number, path: PathKey[] | undefined) =>
    (path && envNameAt(config.fromEnv?.escalation, path)) ?? formatDuration(ms);
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  out.push(
    `${config.dir}: valid. ${count(alerts.probes.length, 'probe')}, ${count(alerts.rules.length, 'rule')}, ` +
      `${count(Object.keys(escalation.contacts).length, 'contact')}, ${count(Object.keys(escalation.channels).length, 'channel')}.`,
  );

  out.push('', 'Probes by kind');
  const kinds = new Map<string, string[]>();
  for (const p of alerts.probes) kinds.set(p.kind, [...(kinds.get(p.kind) ?? []), p.name]);
  const kindWidth = [...kinds.keys()].reduce((w, k) => Math.max(w, k.length), 0);
  for (const [kind, names] of kinds) {
    for (const line of wrap(`  ${kind.padEnd(kindWidth)}  ${String(names.length).padStart(2)}  `, names))
      out.push(line);
  }

  out.push('', 'Rules by priority (a rule counts at each priority it has)');
  for (const p of PRIORITIES) {
    const names = alerts.rules.filter((r) => r.thresholds[p] !== undefined).map((r) => r.name);
    for (const line of wrap(`  ${p}  ${String(names.length).padStart(2)}  `, names.length > 0 ? names : ['-'])) {
      out.push(line);
    }
  }

  out.push('', 'Who is paged');
  for (const p of PRIORITIES) {
    const level = escalation.levels[p];
    if (!level) continue;
    const who = level.contacts.map((name) => {
      const c = escalation.contacts[name];
      const email = c?.email ? ` <${shown('escalation', ['contacts', name, 'email'], c.email)}>` : '';
      const channels = c?.channels ?? [];
      return level.channels === 'all'
        ? `${name}${email} on ${channels.join(' + ')} at once`
        : `${name}${email} via ${channels.join(' → ')}`;
    });
    out.push(`  ${p}  ${who.join(', ')}`);
  }

  out.push('', 'Escalation (without an acknowledgement within ack_within, the next level is added)');
  for (const p of PRIORITIES) {
    const level = escalation.levels[p];
    if (!level) continue;
    const next = level.escalate_to && level.escalate_to !== 'none' ? `then ${level.escalate_to}` : 'no higher level';
    const holds = levelAckTimeout(escalation.levels, p, escalation.ack.timeout);
    const description = level.description && shown('escalation', ['levels', p, 'description'], level.description);
    out.push(
      `  ${p}  ${description ? `${description}: ` : ''}ack within ` +
        `${duration(level.ack_within, ['levels', p, 'ack_within'])}, ` +
        `repeat every ${duration(level.repeat_every, ['levels', p, 'repeat_every'])}, ${next}; ` +
        `an ack holds ${holds === undefined ? 'until it resolves' : duration(holds, ackHoldPath(config, p))}`,
    );
    level.steps.forEach((step, k) => {
      const after = duration(step.after, ['levels', p, 'steps', k, 'after']);
      out.push(`      + ${step.contacts.join(', ')} after ${after} without an ack`);
    });
  }
  const chain: string[] = [];
  let step: Priority | 'none' | undefined = [...PRIORITIES].reverse().find((p) => escalation.levels[p]);
  for (; step && step !== 'none' && !chain.includes(step); step = escalation.levels[step]?.escalate_to)
    chain.push(step);
  if (chain.length > 0) out.push(`  chain: ${chain.join(' → ')}`);

  if (alerts.sources.length > 0) {
    out.push('', 'Alert sources (POST /api/v2/alerts): the priority of an alert is the first of its labels mapped');
    const width = alerts.sources.reduce((w, s) => Math.max(w, s.name.length), 0);
    alerts.sources.forEach((s, n) => {
      const token = s.token ? 'its own token' : 'the write token';
      const p0 = s.page_p0 ? 'may page P0' : 'may not page P0: P0 pages P1 (page_p0: false)';
      out.push(`  ${s.name.padEnd(width)}  ${token}; ${p0}`);
      const pad = ' '.repeat(width + 4);
      Object.entries(s.priority_labels).forEach(([label, map], i) => {
        const mapped = Object.entries(map).map(
          ([value, p]) => `${value} → ${shown('alerts', ['sources', n, 'priority_labels', label, value], p)}`,
        );
        for (const line of wrap(`${pad}${i === 0 ? 'by' : 'then'} ${label}: `, mapped)) out.push(line);
      });
      out.push(`${pad}else ${shown('alerts', ['sources', n, 'default_priority'], s.default_priority)}`);
    });
  }

  if (alerts.inhibit.length > 0 || alerts.maintenance.length > 0) {
    out.push(
      '',
      `${count(alerts.inhibit.length, 'inhibition rule')}; maintenance windows: ${
        alerts.maintenance
          .map((m, i) => {
            const at = (key: string, text: string) => shown('alerts', ['maintenance', i, key], text);
            return `${m.name} (${at('cron', m.cron)}, ${at('duration', formatDuration(m.duration))}, ${at('timezone', m.timezone)})`;
          })
          .join(', ') || 'none'
      }.`,
    );
  }
  return out.join('\n');
}

/** `prefix` then the names joined by commas, continued under the first name when a line passes 110 characters. */
function wrap(prefix: string, names: readonly string[]): string[] {
  const lines: string[] = [];
  let line = prefix;
  for (const [i, name] of names.entries()) {
    const piece = i < names.length - 1 ? `${name}, ` : name;
    if (line.length + piece.length > 110 && line.length > prefix.length) {
      lines.push(line.trimEnd());
      line = ' '.repeat(prefix.length);
    }
    line += piece;
  }
  lines.push(line);
  return lines;
}
