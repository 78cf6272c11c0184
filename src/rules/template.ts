// The template language of summaries and descriptions: `{{ value | seconds }}` and nothing more. Text and
// placeholders only; a placeholder names a variable and pipes it through filters, or (`{{ value:línea|líneas }}`)
// gives the form of a word that agrees with a number, as the locale catalogue's `{count:one|other}` does. No expressions, no calls, no
// loops, so config can never run code. Unknown variables and filters are errors found when the rule is compiled.
// Names are looked up as own properties only (never `in` or a bare index), so `labels.toString` is a missing label
// and `value | constructor` an unknown filter, not a way into Object.prototype.

import { type Locale, plural } from '../locale/locale.js';
import type { Labels } from '../types.js';
import { formatNumber, UNITS, type Unit } from '../units.js';

/** What a template can show. Durations are in seconds, like the samples. */
export interface TemplateVars {
  value: number | undefined;
  threshold: number | undefined;
  clear_threshold: number | undefined;
  op: string;
  priority: string;
  alertname: string;
  probe: string;
  /** The rule's `for` and `clear_for`, and how long the alert has been active, in seconds. */
  for: number;
  clear_for: number;
  active_for: number;
  labels: Labels;
}

type Variable = Exclude<keyof TemplateVars, 'labels'>;
const VARIABLES: readonly Variable[] = [
  'value',
  'threshold',
  'clear_threshold',
  'op',
  'priority',
  'alertname',
  'probe',
  'for',
  'clear_for',
  'active_for',
];

/** Filters turn a number into text with its unit (src/units.ts). */
const FILTERS = UNITS;
type Filter = keyof typeof FILTERS;

/** A template that failed to compile; `offset` is the character where the problem starts. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly code = 'TEMPLATE_INVALID';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

type Part =
  | string
  | { path: Variable | { label: string }; filters: Filter[]; source: string }
  | { agrees: NumberVariable; one: string; other: string };

/** The variables that hold a number, which a word can agree with. */
type NumberVariable = 'value' | 'threshold' | 'clear_threshold' | 'for' | 'clear_for' | 'active_for';
const NUMBER_VARIABLES: readonly NumberVariable[] = [
  'value',
  'threshold',
  'clear_threshold',
  'for',
  'clear_for',
  'active_for',
];
/** `value:línea|líneas`: a variable, then the word for one and for the others. */
const PLURAL = /^\s*([\w.]+)\s*:([^|]*)\|([^|]*)$/s;

/** A compiled template, ready to render any number of times. */
export interface Template {
  readonly source: string;
  /** The text for `vars`; a filter's words (never) in `locale`. */
  render(vars: TemplateVars, locale: Locale): string;
  /** How the template shows `variable`: the filter of its first placeholder, `number` without one, undefined if none. */
  unitOf(variable: 'value' | 'threshold'): Unit | undefined;
}

const PLACEHOLDER = /\{\{(.*?)\}\}/gs;
const LABEL_PATH = /^labels\.([a-zA-Z_][a-zA-Z0-9_]*)$/;
/** Path segments that name JavaScript's object machinery rather than data; refused wherever they appear. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Compiles `text`, or throws TemplateError saying what is wrong and what would be right, e.g.
 * `unknown variable "valeu" in {{ valeu }}. Use value, threshold, …, or labels.<name>`.
 */
export function compileTemplate(text: string): Template {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(compilePlaceholder(m[0], m[1] ?? '', m.index));
    last = m.index + m[0].length;
  }
  const rest = text.slice(last);
  const open = rest.indexOf('{{');
  if (open >= 0) throw new TemplateError(`"{{" at character ${last + open + 1} is never closed with "}}"`, last + open);
  if (rest.includes('}}')) {
    const at = last + rest.indexOf('}}');
    throw new TemplateError(`"}}" at character ${at + 1} has no opening "{{"`, at);
  }
  if (rest) parts.push(rest);
  return {
    source: text,
    render: (vars, locale) => parts.map((p) => (typeof p === 'string' ? p : renderPart(p, vars, locale))).join(''),
    unitOf: (variable) => {
      const shown = parts.find((p) => typeof p !== 'string' && 'path' in p && p.path === variable);
      return typeof shown === 'object' && 'path' in shown ? (shown.filters[0] ?? 'number') : undefined;
    },
  };
}

function compilePlaceholder(source: string, inner: string, offset: number): Part {
  const agreeing = PLURAL.exec(inner);
  if (agreeing) {
    const [, name = '', one = '', other = ''] = agreeing;
    if (!(NUMBER_VARIABLES as readonly string[]).includes(name)) {
      throw new TemplateError(
        `${source}: a word can agree only with a number. Write {{ value:line|lines }} with one of ${NUMBER_VARIABLES.join(', ')}`,
        offset,
      );
    }
    if (!one.trim() || !other.trim())
      throw new TemplateError(`${source}: write the word for one and for the others: {{ ${name}:line|lines }}`, offset);
    return { agrees: name as NumberVariable, one: one.trim(), other: other.trim() };
  }
  const [head = '', ...pipes] = inner.split('|').map((s) => s.trim());
  const forbidden = head.split('.').find((segment) => FORBIDDEN_SEGMENTS.has(segment));
  if (forbidden !== undefined) {
    throw new TemplateError(
      `${source}: "${forbidden}" cannot be read in a template (__proto__, constructor and prototype are refused). ` +
        `Use ${VARIABLES.join(', ')}, or labels.<name> (e.g. labels.container)`,
      offset,
    );
  }
  let path: Variable | { label: string };
  const label = LABEL_PATH.exec(head);
  if (label?.[1]) path = { label: label[1] };
  else if ((VARIABLES as readonly string[]).includes(head)) path = head as Variable;
  else {
    const what = head === '' ? 'an empty placeholder' : `unknown variable "${head}"`;
    throw new TemplateError(
      `${what} in ${source}. Use ${VARIABLES.join(', ')}, or labels.<name> (e.g. labels.container)`,
      offset,
    );
  }
  const filters = pipes.map((f) => {
    if (!Object.hasOwn(FILTERS, f)) {
      throw new TemplateError(
        `unknown filter "${f}" in ${source}. Use ${Object.keys(FILTERS).join(', ')}` +
          (f.includes('(') || f.includes(' ') ? ' (filters take no arguments)' : ''),
        offset,
      );
    }
    return f as Filter;
  });
  if (filters.length > 0 && typeof path === 'object') {
    // Label values are text; a unit filter on them is a mistake worth reporting now rather than printing NaN later.
    throw new TemplateError(
      `${source}: labels are text, filters apply to numbers (value, threshold, durations)`,
      offset,
    );
  }
  if (filters.length > 1) throw new TemplateError(`${source}: use one filter; each one adds a unit`, offset);
  return { path, filters, source };
}

function renderPart(part: Exclude<Part, string>, vars: TemplateVars, locale: Locale): string {
  if ('agrees' in part) {
    const n = vars[part.agrees];
    return n === undefined ? part.other : plural(locale, n, part.one, part.other);
  }
  const raw = typeof part.path === 'object' ? ownLabel(vars.labels, part.path.label) : vars[part.path];
  if (raw === undefined) return '<no value>';
  if (typeof raw === 'string') return raw;
  const filter = part.filters[0];
  return filter ? FILTERS[filter](raw, locale) : formatNumber(raw);
}

/** The instance's own label `name`; an inherited property (`toString`, `hasOwnProperty`) is no label. */
function ownLabel(labels: Labels, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}
