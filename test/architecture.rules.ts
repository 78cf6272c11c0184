// The imports src/ must not have, as data for test/architecture.test.ts: no file under a `from` prefix imports one under a `to` prefix.
import type { ForbiddenEdge } from './support/import-graph.js';

const PURE_AND_LEAF = ['src/rules/', 'src/escalation/', 'src/probes/', 'src/notifiers/'];
const APART =
  'probes, rules and notifiers never import each other: share types through src/types.ts or a leaf module at src/';

/** Checked in order; an edge is reported with the first rule it breaks. Type-only imports count too. */
export const forbidden: readonly ForbiddenEdge[] = [
  {
    from: PURE_AND_LEAF,
    to: ['src/store/', 'src/state/'],
    why: 'only the engine reads and writes the store; this folder takes records as arguments and returns results',
  },
  {
    from: PURE_AND_LEAF,
    to: ['src/engine/', 'src/server/', 'src/cli/', 'src/app.ts'],
    why: 'imports flow down: the engine, server, CLI and wiring use this folder, never the reverse',
  },
  { from: ['src/probes/'], to: ['src/rules/', 'src/notifiers/'], why: APART },
  { from: ['src/rules/'], to: ['src/probes/', 'src/notifiers/'], why: APART },
  { from: ['src/notifiers/'], to: ['src/probes/', 'src/rules/'], why: APART },
  {
    from: ['src/escalation/'],
    to: ['src/rules/', 'src/probes/', 'src/notifiers/'],
    why: 'escalation is pure over its own records: the engine hands it alert events and delivers what it decides',
  },
  {
    from: ['src/config/'],
    to: ['src/engine/', 'src/store/', 'src/state/', 'src/server/', 'src/cli/', 'src/notifiers/'],
    why: 'config turns YAML into a Config value and runs, stores and sends nothing (the pure rule compilers are allowed)',
  },
  {
    from: ['src/'],
    to: ['src/main.ts'],
    why: 'src/main.ts is the entry: it reads argv, env and signals and starts the daemon, so nothing imports it',
  },
  {
    from: ['src/'],
    to: ['src/cli/'],
    except: ['src/cli/', 'src/main.ts'],
    why: 'CLI commands are reached only from src/main.ts; move what others need below src/cli/',
  },
];
