// Where the values of a file's data were written. yaml's toJS builds the data through aliases (*name) and merge keys
// (YAML 1.1 `<<: *defaults`); these walks follow the same links, so a problem in a merged or aliased value is placed
// at the alias or merge that brought it, and a value from the environment is known at every path it lands on.
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  type Node,
  visit,
  type YAMLMap,
} from 'yaml';
import type { PathKey } from './errors.js';

/** One key of a map as toJS builds it: its value, its key when written in the map, the alias it came by. */
interface Entry {
  value: unknown;
  key?: Node;
  /** Set when the value was written elsewhere: the alias in this map (a merge's) that brought it. */
  via?: Node;
}

/**
 * A document's values by data path: aliases resolved as yaml resolves them, merges applied as toJS applies them.
 * For a document toJS could read, so no merge takes in the map it is in.
 */
export class YamlPlaces {
  readonly #doc: Document;
  readonly #targets = new Map<Alias, Node | undefined>();
  /** What holds each node: the maps and lists it is a value or item of, and the aliases that stand for it. */
  readonly #holders = new Map<unknown, unknown[]>();

  constructor(doc: Document) {
    this.#doc = doc;
    const hold = (holder: unknown, node: unknown) => {
      const holders = this.#holders.get(node);
      if (holders) holders.push(holder);
      else this.#holders.set(node, [holder]);
    };
    // Like Alias.resolve: the last anchor of that name before the alias, in document order.
    const anchors = new Map<string, Node>();
    visit(doc, {
      Node: (_, node) => {
        if (isAlias(node)) {
          const target = anchors.get(node.source);
          this.#targets.set(node, target);
          if (target) hold(node, target);
        } else if (node.anchor) anchors.set(node.anchor, node);
        if (isMap(node)) for (const pair of node.items) hold(node, pair.value);
        else if (isSeq(node)) for (const item of node.items) hold(node, item);
      },
    });
  }

  /** The node itself, or the one an alias stands for (undefined when no anchor above it has its name). */
  deref(node: unknown): unknown {
    return isAlias(node) ? this.#targets.get(node) : node;
  }

  /** A map key's name as the data has it; undefined for a merge key and for a key that is a list or a map. */
  keyName(key: unknown): string | undefined {
    const k = this.deref(key);
    if (!isScalar(k) || typeof k.value === 'symbol') return undefined;
    return k.value === null ? '' : String(k.value);
  }

  /** Where the value at `path` was written ([start, end]), its key with `atKey`; else the nearest ancestor's. */
  span(path: readonly PathKey[], atKey: boolean): [number, number] {
    let node: unknown = this.#doc.contents;
    let found: Node | undefined = isNode(node) ? node : undefined;
    for (const [i, step] of path.entries()) {
      const entry = this.#child(node, step);
      if (!entry) break;
      const at = entry.via ?? (atKey && i === path.length - 1 && entry.key ? entry.key : entry.value);
      if (isNode(at)) found = at;
      if (entry.via || isAlias(entry.value)) break; // written elsewhere: point at what brought it here
      node = entry.value;
    }
    const range = found?.range;
    return range ? [range[0], range[2]] : [0, 0];
  }

  /** Every data path at which each of `nodes` lands, in document order (the first is where it is written). */
  pathsOf(nodes: ReadonlySet<Node>): Map<Node, PathKey[][]> {
    const out = new Map<Node, PathKey[][]>();
    const holds = this.#holding(nodes);
    const walk = (node: unknown, path: PathKey[], stack: Set<Node>): void => {
      const n = this.deref(node);
      // Only what holds one of `nodes` is walked, so an alias used many times costs little; a cycle stops.
      if (!isNode(n) || !holds.has(n) || stack.has(n)) return;
      if (nodes.has(n)) out.set(n, [...(out.get(n) ?? []), path]);
      stack.add(n);
      if (isMap(n)) for (const [key, entry] of this.#entries(n)) walk(entry.value, [...path, key], stack);
      else if (isSeq(n)) for (const [i, item] of n.items.entries()) walk(item, [...path, i], stack);
      stack.delete(n);
    };
    walk(this.#doc.contents, [], new Set());
    return out;
  }

  /** `nodes` and every node from which one of them can be reached, through values, items and aliases. */
  #holding(nodes: ReadonlySet<Node>): Set<unknown> {
    const holds = new Set<unknown>(nodes);
    const queue: unknown[] = [...nodes];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      for (const holder of this.#holders.get(next) ?? []) {
        if (!holds.has(holder)) {
          holds.add(holder);
          queue.push(holder);
        }
      }
    }
    return holds;
  }

  #child(node: unknown, step: PathKey): Entry | undefined {
    if (isSeq(node) && typeof step === 'number') {
      const value = node.items[step];
      return value === undefined ? undefined : { value };
    }
    return isMap(node) ? this.#entries(node).get(String(step)) : undefined;
  }

  /** The map's keys as toJS sets them: a written key wins over a merged one, an earlier merge source over a later. */
  #entries(map: YAMLMap): Map<string, Entry> {
    const out = new Map<string, Entry>();
    for (const pair of map.items) {
      const name = this.keyName(pair.key);
      if (name !== undefined) out.set(name, { value: pair.value, key: pair.key as Node });
      if (!isMergeKey(pair.key)) continue;
      const value = this.deref(pair.value);
      for (const source of isSeq(value) ? value.items : [pair.value]) {
        const via = isAlias(pair.value) ? pair.value : isAlias(source) ? source : undefined;
        const from = this.deref(source);
        if (!isMap(from)) continue;
        for (const [k, e] of this.#entries(from)) {
          const by = via ?? e.via;
          if (!out.has(k)) out.set(k, by ? { ...e, via: by } : e);
        }
      }
    }
    return out;
  }
}

/** True for a merge key (`<<`), which yaml reads as a scalar holding a Symbol when `merge: true`. */
export function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol';
}
