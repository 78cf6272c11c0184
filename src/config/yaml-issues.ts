// YAML syntax problems told in the operator's words with what to write, and what each one leaves unreliable:
// the loader still checks whatever parsed, but not what a syntax error may have misread.
import {
  type Alias,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Pair,
  visit,
  type YAMLError,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { type ConfigIssue, formatPath, type PathKey } from './errors.js';
import { isMergeKey } from './yaml-places.js';

/**
 * What a YAML error leaves unreliable. A structural error: everything from an offset on, and the whole top-level
 * `field` it is in (a line indented wrongly may have been meant for an entry above it, which then seems to lack
 * that key). Or one value read in place but maybe not as meant (a duplicate key, an unknown tag): what is `under`.
 */
export type Damage = { from: number; field?: string } | { under: readonly PathKey[] };

/**
 * Each distinct YAML problem of `doc` as an issue, and what it damages. A pair yaml cannot turn into a value (a list
 * as a key, a merge of something that is not a map) is one of them, and is left out of `doc` so the rest can be read.
 */
export function yamlProblems(
  file: string,
  text: string,
  doc: Document,
  lines: LineCounter,
): { issues: ConfigIssue[]; damage: Damage[] } {
  const unusable = leaveOutUnusable(doc, lines);
  // An unknown tag is only a warning to yaml, but `status: !=200` would silently become `status: ""`.
  const errors = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
  const issues: ConfigIssue[] = [];
  const damage: Damage[] = [];
  const all = [...errors.map((error) => tell(text, doc, lines, error)), ...unusable];
  // An unclosed quote takes in the rest of the text, and whatever yaml finds wrong after it follows from that.
  const quote = all.reduce((q, t) => (t.swallows && 'from' in t.damage ? Math.min(q, t.damage.from) : q), Infinity);
  const seen = new Set<number>(); // one mistake often yields several errors on its line
  for (const told of all) {
    if ('from' in told.damage) told.damage.field = fieldAt(doc, told.damage.from);
    damage.push(told.damage);
    if (seen.has(told.line) || ('from' in told.damage && told.damage.from > quote)) continue;
    seen.add(told.line);
    issues.push({ file, line: told.line, col: told.col, path: formatPath(told.path), message: told.message });
  }
  return { issues, damage };
}

/**
 * The message for a document yaml parsed but could not turn into values (an alias with no anchor, an alias bomb),
 * and where: at the alias when there is one to point at.
 */
export function unreadable(doc: Document, err: Error): { message: string; offset: number } {
  const alias = /^Unresolved alias.*: (.+)$/.exec(err.message)?.[1];
  if (alias) {
    let offset = 0;
    visit(doc, {
      Alias(_, node) {
        if (node.source === alias && node.range) {
          offset = node.range[0];
          return visit.BREAK;
        }
        return undefined;
      },
    });
    return { message: noAnchor(alias), offset };
  }
  if (/alias count/i.test(err.message)) {
    return {
      message: 'YAML: aliases (*name) expand to too many values. Write the values out instead of nesting aliases',
      offset: 0,
    };
  }
  return { message: `YAML: cannot be read (${err.message}). Check the aliases (*name) and anchors (&name)`, offset: 0 };
}

function noAnchor(alias: string): string {
  return `YAML: *${alias} names no anchor above it. Define &${alias} first, or quote a value starting with *`;
}

const MERGE_FIX = 'Write <<: *name with &name on a map, or <<: [*a, *b]';

/**
 * Takes out of `doc` each pair toJS would fail on or stringify: a key that is a list or a map, and a merge (`<<`)
 * of a value, a list of values, an alias with no anchor, or the map the merge is in. Each is told at the node to fix.
 */
function leaveOutUnusable(doc: Document, lines: LineCounter): Told[] {
  const out: Told[] = [];
  const told = (node: Node, path: PathKey[], message: string): Told => ({
    ...lines.linePos(node.range?.[0] ?? 0),
    path: [],
    message,
    damage: { under: path },
  });
  // A map's pairs, or those of a list of pairs (!!pairs, !!omap), which toJS makes objects of the same way.
  const check = (map: YAMLMap | YAMLSeq, path: PathKey[], maps: unknown[]): void => {
    const keep: unknown[] = [];
    for (const pair of map.items) {
      if (!isPair(pair)) {
        keep.push(pair);
        continue;
      }
      const key = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
      const problem = isCollection(key)
        ? told(
            pair.key as Node,
            path,
            `YAML: ${isSeq(key) ? 'a list' : 'a map'} cannot be a key. Write a name before ":"`,
          )
        : isScalar(key) && typeof key.value === 'object' && key.value !== null
          ? // A tag that makes an object of a scalar (!!binary, !!timestamp): toJS would stringify it, with a warning.
            told(pair.key as Node, path, `YAML: ${shortTag(key.tag)} value cannot be a key. Write a name before ":"`)
          : isMergeKey(pair.key)
            ? mergeProblem(doc, pair, maps, (node, message) => told(node, path, message))
            : undefined;
      if (problem) out.push(problem);
      else keep.push(pair);
    }
    map.items = keep;
  };
  const go = (node: unknown, path: PathKey[], maps: unknown[]): void => {
    if (isMap(node)) {
      const inside = [...maps, node];
      check(node, path, inside);
      walkPairs(node, path, (value, at) => go(value, at, inside));
    } else if (isSeq(node)) {
      check(node, path, maps);
      for (const [i, item] of node.items.entries()) go(isPair(item) ? item.value : item, [...path, i], maps);
    }
  };
  // A pair taken out may hold the anchor a later alias named: that alias then means an earlier node of that name
  // (as toJS reads it), which may be a list or a map, so the document is looked at again until nothing is taken out.
  for (let told = -1; told !== out.length; ) {
    told = out.length;
    go(doc.contents, [], []);
  }
  return out;
}

/** `!!binary` for YAML's own tags, the tag as written for others. */
function shortTag(tag: string | undefined): string {
  return tag === undefined ? 'this' : `a ${tag.replace(/^tag:yaml\.org,2002:/, '!!')}`;
}

/**
 * What is wrong with the merge `pair` of a map inside `maps` (the maps it is in, innermost last), if anything, told
 * at the alias or value to fix.
 */
function mergeProblem(
  doc: Document,
  pair: Pair,
  maps: readonly unknown[],
  told: (node: Node, message: string) => Told,
): Told | undefined {
  const notMap = (node: Node, what: string) =>
    told(node, `YAML: << merges the keys of a map, and ${what}. ${MERGE_FIX}`);
  const itself = (alias: Alias, verb: string) =>
    told(alias, `YAML: *${alias.source} ${verb} a map this << is in, which cannot merge itself. Merge another map`);
  const source = (node: unknown): Told | undefined => {
    if (isMap(node)) return undefined;
    if (!isAlias(node)) return notMap(isNode(node) ? node : (pair.key as Node), `this is ${describe(node)}`);
    const target = node.resolve(doc);
    if (target === undefined) return told(node, noAnchor(node.source));
    if (maps.includes(target)) return itself(node, 'is');
    if (isSeq(target) && node === pair.value) {
      // `<<: *list`: the list's entries are the maps merged, in order.
      const entries = target.items.map((item) => (isAlias(item) ? item.resolve(doc) : item));
      if (entries.some((e) => maps.includes(e))) return itself(node, 'lists');
      const bad = entries.find((e) => !isMap(e));
      return bad === undefined
        ? undefined
        : notMap(node, `*${node.source} is a list of ${isSeq(bad) ? 'lists' : 'values'}, not of maps`);
    }
    return isMap(target) ? undefined : notMap(node, `*${node.source} is ${describe(target)}`);
  };
  const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
  for (const s of sources) {
    const problem = source(s);
    if (problem) return problem;
  }
  return undefined;
}

/** `a list`, `a value`, `an empty value`: what a node that is not a map is. */
function describe(node: unknown): string {
  if (isSeq(node)) return 'a list';
  return isScalar(node) && node.value !== null ? 'a value' : 'an empty value';
}

interface Told {
  line: number;
  col: number;
  path: PathKey[];
  message: string;
  damage: Damage;
  /** An unclosed quote: the rest of the text is inside it. */
  swallows?: boolean;
}

function tell(text: string, doc: Document, lines: LineCounter, error: YAMLError): Told {
  const told = (message: string, damage: Damage = { from: error.pos[0] }, path: PathKey[] = []): Told => ({
    ...lines.linePos('from' in damage ? Math.min(damage.from, error.pos[0]) : error.pos[0]),
    path,
    message: path.length > 0 || error.code === 'DUPLICATE_KEY' ? message : `YAML: ${message}`,
    damage,
  });
  const raw = error.message.split('\n')[0] ?? '';
  switch (error.code) {
    case 'DUPLICATE_KEY': {
      const where = keyAt(doc, error.pos[0]);
      if (!where) return told('a key appears twice in one map. Keep one');
      const key = String(where.key);
      return told(`key "${key}" appears twice. Keep one`, { under: [...where.path, key] }, where.path);
    }
    case 'TAG_RESOLVE_FAILED': {
      const tag = /tag: (.*)$/.exec(raw)?.[1] ?? '!';
      return told(`${tag} is read as a YAML tag, since it starts with !. Quote the value: "${tag}"`, {
        under: nodeAfter(doc, error.pos[1]) ?? [],
      });
    }
    case 'MULTIPLE_DOCS':
      return told('the file holds more than one document (a --- line). Keep one');
    case 'TAB_AS_INDENT':
      return told('tabs are not allowed as indentation. Indent with spaces');
    case 'BAD_INDENT':
      return /flow/i.test(raw)
        ? told('a [ or { opened above is not closed before this line. Close it with ] or }')
        : told('this line is not lined up with the others of its map or list. Indent it like the lines above it');
    case 'BLOCK_AS_IMPLICIT_KEY':
      return told(
        'a key: value is not allowed here. Check the indentation of this line and the next, or quote a value that holds ": "',
      );
    case 'MULTILINE_IMPLICIT_KEY':
      return told('this line has no ": " after its key, so YAML reads on into the next line. Write key: value');
    case 'BAD_SCALAR_START': {
      const char = /start with (?:reserved character )?(.+)$/.exec(raw)?.[1] ?? 'this character';
      return told(`a value cannot start with ${char} unless it is quoted. Quote the value`);
    }
    case 'BAD_DQ_ESCAPE':
      return told(
        `${raw.replace(/^Invalid escape sequence /, '')} is not an escape in a "double-quoted" value. ` +
          "Write \\\\ for a backslash, or use 'single quotes'",
      );
    case 'MISSING_CHAR': {
      const quote = /closing (["'])/.exec(raw)?.[1];
      if (quote) {
        // yaml reports an unclosed quote at the end of the text; point at the quote that opened it instead.
        const opened = openingQuote(text, quote, lines.linePos(error.pos[0]).line);
        const at = told(`a value opened with ${quote} is never closed. Add the closing ${quote}`, {
          from: opened ?? error.pos[0],
        });
        return { ...at, swallows: true };
      }
      return told(missingChar(raw));
    }
    default:
      return told(`${raw}. Check the indentation and quoting of this line`);
  }
}

/** The other things yaml finds missing: a -, a value, a space, a comma. */
function missingChar(raw: string): string {
  if (/without - indicator/.test(raw)) {
    return 'this line is indented less than the keys above it. Line it up with them, or start a list entry with -';
  }
  if (/followed by map values/.test(raw)) return 'a key has no ": value". Write key: value, with a space after :';
  if (/Missing space after :/.test(raw)) return 'a : inside { } needs a space after it. Write key: value';
  if (/Missing ,/.test(raw)) return 'items inside [ ] or { } are separated by commas. Add the missing ,';
  if (/Comments must be separated/.test(raw)) {
    return 'a # starts a comment only after a space. Add a space before #, or quote the value';
  }
  return `${raw}. Check the indentation and quoting of this line`;
}

/** The offset of the last `quote` on the last line at or before line `before` that holds an odd number of them. */
function openingQuote(text: string, quote: string, before: number): number | undefined {
  const all = text.split('\n');
  const starts: number[] = [];
  let offset = 0;
  for (const line of all) {
    starts.push(offset);
    offset += line.length + 1;
  }
  for (let n = Math.min(before, all.length) - 1; n >= 0; n--) {
    const content = all[n] ?? '';
    if (content.split(quote).length % 2 === 0) return (starts[n] ?? 0) + content.lastIndexOf(quote);
  }
  return undefined;
}

/** The map path and key whose key node starts at `offset` (where yaml reports a duplicate key). */
function keyAt(doc: Document, offset: number): { path: PathKey[]; key: unknown } | undefined {
  let found: { path: PathKey[]; key: unknown } | undefined;
  walk(doc, (_node, path, key) => {
    if (!found && isScalar(key) && key.range?.[0] === offset) found = { path: path.slice(0, -1), key: key.value };
  });
  return found;
}

/** The top-level key whose entry holds `offset`, or the last one before it. */
function fieldAt(doc: Document, offset: number): string | undefined {
  if (!isMap(doc.contents)) return undefined;
  const before = doc.contents.items.filter((p) => isScalar(p.key) && (p.key.range?.[0] ?? offset) < offset).at(-1);
  return isScalar(before?.key) ? String(before.key.value) : undefined;
}

/** The path of the first value that starts at or after `offset`: the one a tag just before it belongs to. */
function nodeAfter(doc: Document, offset: number): PathKey[] | undefined {
  let found: PathKey[] | undefined;
  walk(doc, (node, path) => {
    if (!found && isNode(node) && (node.range?.[0] ?? -1) >= offset) found = path;
  });
  return found;
}

/** Visits every value of the document in order with its path; `key` is the key node of a map entry's pair. */
function walk(doc: Document, visit: (node: unknown, path: PathKey[], key?: unknown) => void): void {
  const go = (node: unknown, path: PathKey[]): void => {
    if (isMap(node)) {
      walkPairs(node, path, (value, at, key) => {
        visit(value, at, key);
        go(value, at);
      });
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) {
        visit(item, [...path, i]);
        go(item, [...path, i]);
      }
    }
  };
  go(doc.contents, []);
}

/**
 * Each value a map holds as written, with its data path: a key's value under the key, and the maps an inline merge
 * (`<<: { … }` or `<<: [{ … }]`) brings in at the map's own path, as their keys land there.
 */
function walkPairs(map: YAMLMap, path: PathKey[], visit: (value: unknown, path: PathKey[], key?: unknown) => void) {
  for (const pair of map.items) {
    if (!isMergeKey(pair.key))
      visit(pair.value, [...path, isScalar(pair.key) ? String(pair.key.value) : String(pair.key)], pair.key);
    else
      for (const source of isSeq(pair.value) ? pair.value.items : [pair.value]) if (isMap(source)) visit(source, path);
  }
}
