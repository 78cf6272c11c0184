// The lint rule lint/no-spread-arguments.grit: biome.json applies it to src/, and it flags what it should, no more.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const plugin = path.join(repo, 'lint/no-spread-arguments.grit');

describe('lint/no-spread-arguments.grit', () => {
  it('is a plugin of biome.json for every file of src/', () => {
    const config = JSON.parse(readFileSync(path.join(repo, 'biome.json'), 'utf8')) as { plugins?: unknown[] };
    expect(config.plugins).toContainEqual({ path: './lint/no-spread-arguments.grit', includes: ['src/**'] });
  });

  const dir = mkdtempSync(path.join(tmpdir(), 'centinela-lint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('flags computed arrays spread into call and constructor arguments, not literals, array or object spreads', () => {
    writeFileSync(
      path.join(dir, 'biome.json'),
      JSON.stringify({ plugins: [plugin], linter: { rules: { preset: 'none' } } }),
    );
    const lines = [
      'const xs = [1, 2];',
      'const out: number[] = [];',
      'out.push(...xs);', // 3
      'Math.max(0, ...xs.map((x) => x * 2));', // 4
      'new Set(...[xs]);',
      'new Map(...xs.entries());', // 6
      'out.push(...[1, 2]);',
      'const copy = [...xs, ...out];',
      'const merged = { ...{ a: 1 }, b: copy };',
      'out.push(Math.min(xs[0] ?? 0, out.length), merged.b.length);',
      'String(String(...xs));', // 11: the inner call
    ];
    writeFileSync(path.join(dir, 'spread.ts'), `${lines.join('\n')}\n`);
    let output: string;
    try {
      output = execFileSync(path.join(repo, 'node_modules/.bin/biome'), ['lint', '--reporter=json', 'spread.ts'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch (err) {
      output = (err as { stdout: string }).stdout; // biome exits 1 when it finds errors
    }
    const report = JSON.parse(output) as {
      diagnostics: { category: string; message: string; location: { start: { line: number; column: number } } }[];
    };
    const found = report.diagnostics
      .filter((d) => d.category === 'plugin')
      .map((d) => `${d.location.start.line}:${d.location.start.column}`);
    expect(found).toEqual(['3:10', '4:13', '6:9', '11:15']);
    expect(report.diagnostics[0]?.message).toBe(
      'Spreading an array into arguments puts each element on the stack (a RangeError past ~100k). Use a loop or reduce.',
    );
  });
});
