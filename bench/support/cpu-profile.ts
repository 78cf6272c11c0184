// Reads a V8 CPU profile (node --cpu-prof) and tells where the time went: the functions with the most self time,
// and the share of each package (node_modules/NAME), of centinela's own code (dist/), and of Node's internals.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Where a function lives, short: `pkg/file.js:12`, `dist/probes/http.js:40`, `node:internal/...`. */
function place(url: string, line: number): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (pkg) return `${pkg[1]}/${pkg[2]}:${line + 1}`;
  const own = /\/dist\/(.*)$/.exec(url);
  if (own) return `dist/${own[1]}:${line + 1}`;
  return url ? `${url}:${line + 1}` : '';
}

/** Who a function belongs to: a package name, `centinela`, `node` (internals), or a V8 category like (garbage collector). */
function owner(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] as string;
  if (/\/dist\//.test(url)) return 'centinela';
  if (url.startsWith('node:')) return 'node';
  return url ? 'other' : functionName;
}

/**
 * The top `n` functions by self time and the time of each owner, as printable lines, counting only the samples taken
 * after the first `skipSeconds` (the start-up: imports and config load) and before the last `tailSeconds` (the stop).
 */
export function summarizeProfile(
  file: string,
  opts: { n?: number; skipSeconds?: number; tailSeconds?: number } = {},
): string[] {
  const { n = 10, skipSeconds = 0, tailSeconds = 0 } = opts;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    startTime: number;
    endTime: number;
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const from = profile.startTime + skipSeconds * 1e6;
  const to = profile.endTime - tailSeconds * 1e6;
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let at = profile.startTime;
  let busy = 0;
  let total = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    const node = nodes.get(id);
    if (at < from || at > to || !node) return;
    total++;
    if (node.callFrame.functionName === '(idle)') return;
    busy++;
    const key = `${node.callFrame.functionName || '(anonymous)'} ${place(node.callFrame.url, node.callFrame.lineNumber)}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + 1);
    const who = owner(node);
    byOwner.set(who, (byOwner.get(who) ?? 0) + 1);
  });
  const share = (hits: number) => `${((hits / busy) * 100).toFixed(1).padStart(5)} %`;
  const lines = [
    `${((to - from) / 1e6).toFixed(0)} s of profile: ${busy} busy samples of ${total} (the rest idle); self time as a share of the busy samples:`,
  ];
  const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, n);
  top.forEach(([key, hits], i) => {
    lines.push(`  ${String(i + 1).padStart(2)}. ${share(hits)}  ${key}`);
  });
  const owners = [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, n);
  lines.push(`  by owner: ${owners.map(([who, hits]) => `${who} ${share(hits).trim()}`).join(', ')}`);
  return lines;
}
