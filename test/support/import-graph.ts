// Reads the import graph of a folder of TypeScript files and reports its runtime import cycles and forbidden edges.
//
// Files are parsed with @babel/parser (a real TypeScript parser, not a regex), so import-looking text inside
// strings, template literals, regular expressions and comments never counts. An edge is type-only when every
// import of the target in the file is `import type …`, `export type … from` or a `typeof import('…')` type:
// those are the only forms erased from the JavaScript. `import { type A } from './a.js'` is NOT type-only:
// with verbatimModuleSyntax both tsc and esbuild emit it as `import {} from './a.js'`, which still loads a.js.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@babel/parser';

/** One file's dependency on another, both as root-relative paths with forward slashes (`src/rules/rule.ts`). */
export interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** No file under a `from` prefix may import one under a `to` prefix, unless it is under an `except`; `x/` is a folder, `x.ts` a file. */
export interface ForbiddenEdge {
  from: readonly string[];
  to: readonly string[];
  except?: readonly string[];
  why: string;
}

type Statement = ReturnType<typeof parse>['program']['body'][number];

interface Found {
  specifier: string;
  typeOnly: boolean;
}

interface AstNode {
  type: string;
  [key: string]: unknown;
}

const isNode = (value: unknown): value is AstNode =>
  typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';

function* nodesIn(value: unknown): Generator<AstNode> {
  if (Array.isArray(value)) {
    for (const item of value) yield* nodesIn(item);
  } else if (isNode(value)) {
    yield value;
    for (const child of Object.values(value)) if (typeof child === 'object') yield* nodesIn(child);
  }
}

/** The specifier of `import('x')` or `` import(`x`) ``; undefined when it is computed at run time. */
function literal(node: unknown): string | undefined {
  if (!isNode(node)) return undefined;
  if (node.type === 'StringLiteral') return node.value as string;
  const quasis = node.quasis as { value: { cooked: string } }[] | undefined;
  return node.type === 'TemplateLiteral' && quasis?.length === 1 ? quasis[0]?.value.cooked : undefined;
}

function declared(statement: Statement): Found | undefined {
  switch (statement.type) {
    case 'ImportDeclaration':
      return { specifier: statement.source.value, typeOnly: statement.importKind === 'type' };
    case 'ExportAllDeclaration':
    case 'ExportNamedDeclaration':
      return statement.source
        ? { specifier: statement.source.value, typeOnly: statement.exportKind === 'type' }
        : undefined;
    default:
      return undefined;
  }
}

function importsOf(source: string, file: string): Found[] {
  const program = parse(source, {
    sourceType: 'module',
    sourceFilename: file,
    plugins: ['typescript'],
    createImportExpressions: true,
  }).program;
  const found = program.body.map(declared).filter((f) => f !== undefined);
  for (const node of nodesIn(program.body)) {
    if (node.type === 'ImportExpression') {
      const specifier = literal(node.source);
      if (specifier !== undefined) found.push({ specifier, typeOnly: false });
    } else if (node.type === 'TSImportType') {
      const specifier = literal(node.argument);
      if (specifier !== undefined) found.push({ specifier, typeOnly: true });
    }
  }
  return found;
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/** `./x.js` → x.ts, `./x` → x.ts, `./dir` → dir/index.ts, anything else that exists (`../package.json`) → itself. */
function resolveRelative(importer: string, specifier: string): string | undefined {
  const target = path.resolve(path.dirname(importer), specifier);
  return [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, path.join(target, 'index.ts')].find(isFile);
}

const relative = (root: string, file: string) => path.relative(root, file).split(path.sep).join('/');

/** The imports between files of a folder, and the relative specifiers that name no file. */
export interface ImportGraph {
  edges: ImportEdge[];
  unresolved: { from: string; specifier: string }[];
}

/** Every edge between files of `root/folder` and the files they import; package imports (`node:fs`, `pino`) are not edges. */
export function readImportGraph(root: string, folder: string): ImportGraph {
  const base = path.join(root, folder);
  const files = readdirSync(base, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(base, name))
    .sort();
  const edges = new Map<string, ImportEdge>();
  const unresolved: ImportGraph['unresolved'] = [];
  for (const file of files) {
    const from = relative(root, file);
    for (const { specifier, typeOnly } of importsOf(readFileSync(file, 'utf8'), from)) {
      if (!specifier.startsWith('.')) continue;
      const resolved = resolveRelative(file, specifier);
      if (resolved === undefined) {
        unresolved.push({ from, specifier });
        continue;
      }
      const to = relative(root, resolved);
      const key = `${from}\n${to}`;
      // One runtime import makes the whole edge runtime.
      edges.set(key, { from, to, typeOnly: typeOnly && (edges.get(key)?.typeOnly ?? true) });
    }
  }
  const sorted = [...edges.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return { edges: sorted, unresolved };
}

/** Tarjan's strongly connected components, each sorted, of a graph given as adjacency lists. */
function components(next: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): number => {
    const own = index.size;
    index.set(node, own);
    stack.push(node);
    let lowest = own;
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) lowest = Math.min(lowest, visit(to));
      else if (stack.includes(to)) lowest = Math.min(lowest, index.get(to) as number);
    }
    if (lowest === own) found.push(stack.splice(stack.indexOf(node)).sort());
    return lowest;
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** The shortest path from `start` back to itself, staying inside its strongly connected component. */
function shortestCycle(start: string, members: Set<string>, next: Map<string, string[]>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (const node of queue) {
    for (const to of next.get(node) ?? []) {
      if (to === start) {
        const cycle = [node];
        while (cycle[0] !== start) cycle.unshift(cameFrom.get(cycle[0] as string) as string);
        return [...cycle, start];
      }
      if (members.has(to) && !cameFrom.has(to)) {
        cameFrom.set(to, node);
        queue.push(to);
      }
    }
  }
  throw new Error(`${start} is on no cycle`);
}

/** Cycles that together pass through every node of every strongly connected component that has a cycle. */
function coveringCycles(pairs: readonly (readonly [string, string])[]): string[][] {
  const next = new Map<string, string[]>();
  for (const [from, to] of pairs) next.set(from, [...new Set([...(next.get(from) ?? []), to])].sort());
  const cycles: string[][] = [];
  for (const component of components(next)) {
    const first = component[0] as string;
    if (component.length === 1 && !next.get(first)?.includes(first)) continue;
    const members = new Set(component);
    const uncovered = new Set(component);
    for (const start of component) {
      if (!uncovered.has(start)) continue;
      const cycle = shortestCycle(start, members, next);
      for (const node of cycle) uncovered.delete(node);
      cycles.push(cycle);
    }
  }
  return cycles;
}

/**
 * Cycles of runtime imports between files, then between the top folders of `folder` (a file at its root is a
 * unit of its own): `config/ → rules/ → config/` is a tangle even when no single file imports itself back.
 */
function runtimeCycles(edges: readonly ImportEdge[], folder: string): string[] {
  const runtime = edges.filter((e) => !e.typeOnly);
  const files = coveringCycles(runtime.map((e) => [e.from, e.to] as const));
  const unit = (file: string) => {
    const [top, ...rest] = file.slice(folder.length + 1).split('/');
    return rest.length > 0 ? `${folder}/${top}/` : file;
  };
  const crossing = runtime.filter((e) => unit(e.from) !== unit(e.to));
  const folders = coveringCycles(crossing.map((e) => [unit(e.from), unit(e.to)] as const)).map((cycle) => {
    const through = cycle
      .slice(1)
      .flatMap((to, i) => crossing.filter((e) => unit(e.from) === cycle[i] && unit(e.to) === to))
      .map((e) => `${e.from} → ${e.to}`);
    return `${cycle.join(' → ')}: runtime folder cycle through ${through.join(', ')}`;
  });
  return [...files.map((cycle) => `${cycle.join(' → ')}: runtime import cycle`).sort(), ...folders.sort()];
}

const under = (file: string, prefixes: readonly string[]) =>
  prefixes.some((prefix) => (prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix));

/** Unresolvable imports, runtime cycles of files and of folders, then every edge (type-only included) a rule forbids, as `from → to: why` lines. */
export function architectureProblems(root: string, folder: string, forbidden: readonly ForbiddenEdge[]): string[] {
  const { edges, unresolved } = readImportGraph(root, folder);
  const missing = unresolved.map(({ from, specifier }) => `${from} → '${specifier}': names no file`);
  const broken = edges.flatMap(({ from, to }) => {
    const rule = forbidden.find((r) => under(from, r.from) && under(to, r.to) && !under(from, r.except ?? []));
    return rule ? [`${from} → ${to}: ${rule.why}`] : [];
  });
  return [...missing, ...runtimeCycles(edges, folder), ...broken];
}
