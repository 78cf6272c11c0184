// Faster timings for a copy of the shipped config, for the lab's tests and the benches alike: every probe at one
// interval, and the rules' waits capped, so that a run sees in minutes what the shipped timings show over hours.
import { readFileSync, writeFileSync } from 'node:fs';
import { type Document, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { formatDuration, parseDuration } from '../../src/duration.js';

/** The waits of a rule that a bench may shorten. */
export type RuleWait = 'for' | 'clear_for' | 'retry_every';

const ms = (text: unknown): number => parseDuration(String(text)) ?? Number.NaN;

/**
 * Sets every probe's `every` to `every`, and lowers a timeout that is not shorter to `every` less a second (the config
 * requires a timeout under the interval; a probe without one has the default 10 s).
 */
export function probesEvery(doc: Document, every: string): void {
  const interval = ms(every);
  for (const probe of (doc.get('probes') as YAMLSeq<YAMLMap>).items) {
    probe.set('every', every);
    if (ms(probe.get('timeout') ?? '10s') >= interval) probe.set('timeout', formatDuration(interval - 1000));
  }
}

/**
 * Lowers each rule's `for`, `clear_for` and `retry_every` to its cap in `caps`. A wait the rule does not set, or sets
 * shorter, is left as it is: the cap shortens the shipped waits, it never adds one the rule was designed without.
 * A rule with a `fast:` path keeps its own waits: the fast path is what makes it quick, and a 10 s `for` on its
 * 5-minute window would fire it early and, after the fast path's all-clear, again on the breaches the window still
 * holds.
 */
export function capRuleWaits(doc: Document, caps: Partial<Record<RuleWait, string>>): void {
  for (const rule of (doc.get('rules') as YAMLSeq<YAMLMap>).items) {
    if (rule.has('fast')) continue;
    for (const [key, cap] of Object.entries(caps)) {
      const now = rule.get(key);
      if (now !== undefined && ms(now) > ms(cap)) rule.set(key, cap);
    }
  }
}

/** Reads the YAML file, lets `edit` change it, and writes it back (comments and order kept). */
export function editYamlFile(file: string, edit: (doc: Document) => void): void {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  edit(doc);
  writeFileSync(file, doc.toString());
}
