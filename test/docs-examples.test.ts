// The examples in the docs name alerts and probes that exist: every alert name a matcher names (alertname=…,
// `alertname: …`, "alertname": "…", in a command, a body or a config snippet) and every probe a command, a body or a
// rule names (--probes, "probes", probe=…, sample: <probe>.…) is one of the shipped config/ — or one the same page
// defines in its own example. A reader who copies `silence add --match alertname=PostgresDown` from a page silences
// nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { didYouMean } from '../src/did-you-mean.js';
import { CANNOT_MEASURE, HEALTH_NOT_BACK } from '../src/rules/rule.js';
import { SHIPPED_ENV } from './support/shipped-env.js';

const PAGES = ['README.md', ...readdirSync('docs').map((f) => join('docs', f))].filter((f) => f.endsWith('.md'));

/** One name a page uses, where. */
interface Use {
  kind: 'alert' | 'probe';
  name: string;
  line: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
// A value as matchers write it: an operator, then up to a quote, a comma, a brace, a bracket, a backtick or a space.
const VALUE = String.raw`\\?["']?((?:=~|!~|!=|=)?[^"'\\,}\]\s\x60]+)`;
const ALERT_USES = [
  new RegExp(String.raw`\balertname(=~|!~|!=|=)${VALUE.replace('(?:=~|!~|!=|=)?', '')}`, 'g'), // alertname=ApiDown
  new RegExp(String.raw`["']?\balertname["']?\s*:\s*${VALUE}`, 'g'), // { alertname: ApiDown }, "alertname": "ApiDown"
];
const PROBE_USES = [
  /--probes[ =]([\w,-]+)/g, // maintenance start --probes api_health,api_metrics
  /"probes"\s*:\s*\[([^\]]*)\]/g, // { "probes": ["api_health"] }
  /\bprobe=["']?([\w-]+)/g, // probe=api_health
  /^\s*-?\s*["']?probe["']?\s*:\s*["']?([\w-]+)/gm, // probe_failures: - probe: api_metrics
  /\b(?:sample|series)\s*:\s*([\w-]+)\./g, // sample: api_health.up, series: api_metrics.latency…
  /\bdiagnose\s*:\s*\[([^\]]*)\]/g, // diagnose: [db, containers]
];

/**
 * The alert and probe names `text` uses, with their line; a refusal shown on purpose ("Did you mean", "is refused": a
 * silence too long for what a source may send) is skipped.
 */
function usesIn(text: string): Use[] {
  const uses: Use[] = [];
  const lineAt = (index: number) => text.slice(0, index).split('\n').length;
  const lines = text.split('\n');
  const shownRefused = (line: number) => /Did you mean|is refused/.test(lines[line - 1] ?? '');
  for (const pattern of ALERT_USES) {
    for (const m of text.matchAll(pattern)) {
      const line = lineAt(m.index);
      if (shownRefused(line)) continue;
      // alertname=ApiDown gives the operator apart; `alertname: "=~A|B"` has it in the value.
      const written = m.length > 2 ? `${m[1] === '=' ? '' : m[1]}${m[2]}` : (m[1] ?? '');
      for (const name of alertNames(written)) uses.push({ kind: 'alert', name, line });
    }
  }
  for (const pattern of PROBE_USES) {
    for (const m of text.matchAll(pattern)) {
      const line = lineAt(m.index);
      if (shownRefused(line)) continue;
      for (const name of (m[1] ?? '').split(/[\s,"']+/)) if (NAME.test(name)) uses.push({ kind: 'probe', name, line });
    }
  }
  return uses.filter((u) => !/^[A-Z_]+$/.test(u.name)); // NAME, ID: placeholders in prose
}

/** The names in a matcher's value: `ApiDown`, `!=ApiDown`, `=~ApiLatencyHigh|ApiErrorRateHigh` (each alternative). */
function alertNames(written: string): string[] {
  const value = written.replace(/^(=~|!~|!=|=)/, '');
  return value.split('|').filter((v) => NAME.test(v));
}

/** Names the page's own examples define (`name: centinela_peer`): a page may show how to add one, then use it. */
function definedIn(text: string): Set<string> {
  return new Set([...text.matchAll(/^\s*-?\s*name:\s*([\w-]+)\s*(?:#.*)?$/gm)].map((m) => m[1] ?? ''));
}

let alerts: Set<string>;
let probes: Set<string>;
beforeAll(async () => {
  const config = await loadConfig({ dir: 'config', env: { ...SHIPPED_ENV } });
  alerts = new Set([...config.alerts.rules.map((r) => r.name), CANNOT_MEASURE, HEALTH_NOT_BACK]);
  probes = new Set(config.alerts.probes.map((p) => p.name));
});

describe('docs examples', () => {
  it.each(PAGES)('%s names only alerts and probes of the shipped config (or of its own examples)', (page) => {
    const text = readFileSync(page, 'utf8');
    const own = definedIn(text);
    const unknown = usesIn(text)
      .filter((u) => !own.has(u.name) && !(u.kind === 'alert' ? alerts : probes).has(u.name))
      .map((u) => {
        const known = u.kind === 'alert' ? alerts : probes;
        return `${page}:${u.line}: ${u.kind} "${u.name}" is not in config/.${didYouMean(u.name, known)}`;
      });
    expect(unknown).toEqual([]);
  });

  it('finds the names the way the pages write them, and skips placeholders and refusals shown on purpose', () => {
    const page = [
      '$CENTINELA silence add --match alertname=PostgresDown --for 10m',
      '{ "matchers": { "alertname": "ApiDown", "route": "=~/api/.*" } }',
      '    target: { alertname: "=~ApiLatencyHigh|ApiErrorRateHigh" }',
      '  narrow the matchers (`alertname: "!=ApiDown"`)',
      '"id": "ApiDown{alertname=\\"ApiDown\\",container=\\"grupo_gad_api\\"}",',
      'centinela maintenance start --probes api_health,ws_stats --max 15m',
      '{ "probes": ["api_health"], "max": "15m" }',
      '    sample: api_metrics.latency_p95_seconds   # <probe>.<sample>',
      '      - probe: api_metrics',
      '    diagnose: [db, containers]',
      'A matcher `alertname=NAME` or `probe=NAME`',
      '"message": "silence: alertname=\\"ApiDwn\\" matches no alert. Did you mean \\"ApiDown\\"?"',
    ].join('\n');
    expect(usesIn(page).map((u) => `${u.line} ${u.kind} ${u.name}`)).toEqual([
      '1 alert PostgresDown',
      '5 alert ApiDown',
      '2 alert ApiDown',
      '3 alert ApiLatencyHigh',
      '3 alert ApiErrorRateHigh',
      '4 alert ApiDown',
      '6 probe api_health',
      '6 probe ws_stats',
      '7 probe api_health',
      '9 probe api_metrics',
      '8 probe api_metrics',
      '10 probe db',
      '10 probe containers',
    ]);
  });
});
