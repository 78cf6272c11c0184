// The architecture test: src/ has no runtime import cycle and none of the imports test/architecture.rules.ts forbids.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { forbidden } from './architecture.rules.js';
import { architectureProblems, readImportGraph } from './support/import-graph.js';

const repo = path.resolve(import.meta.dirname, '..');
const fixture = path.join(import.meta.dirname, 'fixtures/architecture');

/** The `why` of the first rule that lists both prefixes, so the fixture report is built from the real rules. */
const why = (from: string, to: string) => forbidden.find((r) => r.from.includes(from) && r.to.includes(to))?.why;

describe('src/', () => {
  it('has no runtime import cycle and no forbidden import', () => {
    const problems = architectureProblems(repo, 'src', forbidden);
    expect(problems, 'fix these imports (the rules are in test/architecture.rules.ts)').toEqual([]);
  });

  it('still has every file and folder the rules apply to, so no rule silently covers nothing', () => {
    const missing = forbidden
      .flatMap((r) => [...r.from, ...(r.except ?? [])])
      .filter((prefix) => !existsSync(path.join(repo, prefix)));
    expect(missing).toEqual([]);
  });
});

describe('the checker on test/fixtures/architecture', () => {
  it('reads static, re-exported, side-effect, dynamic and type imports, and nothing inside strings or comments', () => {
    const { edges, unresolved } = readImportGraph(fixture, 'src');
    expect(unresolved).toEqual([{ from: 'src/cli/run.ts', specifier: './stop.js' }]);
    expect(edges).toEqual([
      { from: 'src/cli/run.ts', to: 'src/engine/loop.ts', typeOnly: false },
      { from: 'src/config/env.ts', to: 'src/config/issues.ts', typeOnly: false },
      { from: 'src/config/issues.ts', to: 'src/config/env.ts', typeOnly: false },
      { from: 'src/config/references.ts', to: 'src/config/defaults.json', typeOnly: false },
      { from: 'src/config/references.ts', to: 'src/rules/rule.ts', typeOnly: false },
      { from: 'src/engine/commit.ts', to: 'src/engine/loop.ts', typeOnly: false },
      { from: 'src/engine/commit.ts', to: 'src/store/index.ts', typeOnly: false },
      { from: 'src/engine/loop.ts', to: 'src/engine/commit.ts', typeOnly: false },
      { from: 'src/escalation/policy.ts', to: 'src/rules/evaluate.ts', typeOnly: false },
      { from: 'src/escalation/policy.ts', to: 'src/types.ts', typeOnly: false },
      { from: 'src/main.ts', to: 'src/cli/run.ts', typeOnly: false },
      { from: 'src/notifiers/email.ts', to: 'src/store/alerts.ts', typeOnly: true },
      { from: 'src/probes/http.ts', to: 'src/probes/probe.ts', typeOnly: false },
      { from: 'src/probes/http.ts', to: 'src/rules/evaluate.ts', typeOnly: true },
      { from: 'src/probes/probe.ts', to: 'src/probes/http.ts', typeOnly: true },
      { from: 'src/rules/evaluate.ts', to: 'src/store/index.ts', typeOnly: false },
      { from: 'src/rules/evaluate.ts', to: 'src/types.ts', typeOnly: true },
      { from: 'src/rules/rule.ts', to: 'src/config/primitives.ts', typeOnly: false },
      { from: 'src/server/api.ts', to: 'src/cli/run.ts', typeOnly: false },
      { from: 'src/server/api.ts', to: 'src/main.ts', typeOnly: false },
      { from: 'src/server/health.ts', to: 'src/server/health.ts', typeOnly: false },
      { from: 'src/store/alerts.ts', to: 'src/types.ts', typeOnly: false },
      { from: 'src/store/index.ts', to: 'src/store/alerts.ts', typeOnly: false },
    ]);
  });

  it('reports the planted file and folder cycles and forbidden imports, and not the type-only cycle', () => {
    expect(architectureProblems(fixture, 'src', forbidden)).toEqual([
      "src/cli/run.ts → './stop.js': names no file",
      'src/config/env.ts → src/config/issues.ts → src/config/env.ts: runtime import cycle',
      'src/engine/commit.ts → src/engine/loop.ts → src/engine/commit.ts: runtime import cycle',
      'src/server/health.ts → src/server/health.ts: runtime import cycle',
      'src/config/ → src/rules/ → src/config/: runtime folder cycle through ' +
        'src/config/references.ts → src/rules/rule.ts, src/rules/rule.ts → src/config/primitives.ts',
      `src/escalation/policy.ts → src/rules/evaluate.ts: ${why('src/escalation/', 'src/rules/')}`,
      `src/notifiers/email.ts → src/store/alerts.ts: ${why('src/notifiers/', 'src/store/')}`,
      `src/probes/http.ts → src/rules/evaluate.ts: ${why('src/probes/', 'src/rules/')}`,
      `src/rules/evaluate.ts → src/store/index.ts: ${why('src/rules/', 'src/store/')}`,
      `src/server/api.ts → src/cli/run.ts: ${why('src/', 'src/cli/')}`,
      `src/server/api.ts → src/main.ts: ${why('src/', 'src/main.ts')}`,
    ]);
  });
});
