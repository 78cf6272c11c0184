// Bench: one docker probe run over 50 containers on a real dockerd of its own (as root, see
// test/support/docker-engine.ts). Prints wall time per run (first run: log tails; later runs: `since`), the heap
// and RSS the probe adds, and the Engine requests per run, with and without the stats call.
//
//   npx tsx --expose-gc bench/docker.ts [--containers 50] [--runs 5] [--log-lines 500]
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { systemClock } from '../src/clock.js';
import { dockerProbe } from '../src/config/probes.js';
import docker from '../src/probes/docker.js';
import { BUSYBOX_IMAGE, startDockerEngine } from '../test/support/docker-engine.js';

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '50' },
    runs: { type: 'string', default: '5' },
    'log-lines': { type: 'string', default: '500' },
  },
});
const containers = Number(values.containers);
const runs = Number(values.runs);
const logLines = Number(values['log-lines']);
const gc = (globalThis as { gc?: () => void }).gc;
const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;

const engine = await startDockerEngine();
try {
  // Each container writes `logLines` lines at start (one in ten an error, every other one JSON), then one line a
  // second, and a fifth of them carry a healthcheck, like a compose stack of small services.
  const script = [
    `i=0; while [ $i -lt ${logLines} ]; do`,
    `if [ $((i % 10)) -eq 0 ]; then echo "ERROR request $i failed"; elif [ $((i % 2)) -eq 0 ]; then echo "{\\"level\\":\\"info\\",\\"n\\":$i}"; else echo "GET /api/v1/items/$i 200"; fi;`,
    'i=$((i+1)); done;',
    'while :; do echo "tick"; sleep 1; done',
  ].join(' ');
  const started = performance.now();
  for (let batch = 0; batch < containers; batch += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, containers - batch) }, (_, k) => {
        const n = batch + k;
        const health = n % 5 === 0 ? ['--health-cmd', 'true', '--health-interval', '5s'] : [];
        return engine.docker(
          'run',
          '-d',
          '--network',
          'host',
          '--memory',
          '64m',
          '--label',
          'bench=docker',
          ...health,
          '--name',
          `svc_${String(n).padStart(2, '0')}`,
          BUSYBOX_IMAGE,
          'sh',
          '-c',
          script,
        );
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 3000)); // let every container write its burst
  console.log(`${containers} containers started in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const log = pino({ level: 'silent' });
  for (const stats of [true, false]) {
    const config = dockerProbe.parse({
      name: 'bench',
      kind: 'docker',
      endpoint: engine.endpoint,
      match_labels: { bench: 'docker' },
      stats,
    });
    const probe = docker.create(config, { log, clock: systemClock });
    gc?.();
    const before = process.memoryUsage();
    console.log(
      `\nstats: ${stats} (requests per run: 1 list + ${containers} inspect${stats ? ` + ${containers} stats` : ''} + ${containers} logs)`,
    );
    for (let r = 1; r <= runs; r++) {
      const t0 = performance.now();
      const result = await probe.run({ signal: AbortSignal.timeout(60_000), clock: systemClock, log });
      const ms = performance.now() - t0;
      if (!result.up) throw new Error(result.reason);
      const errors = result.samples.filter((s) => s.name === 'log_errors').reduce((sum, s) => sum + s.value, 0);
      const after = process.memoryUsage();
      gc?.();
      const retained = process.memoryUsage().heapUsed - before.heapUsed;
      console.log(
        `run ${r}: ${ms.toFixed(0)} ms, ${result.samples.length} samples, ${errors} error lines, ` +
          `detail ${(result.detail ?? '').length} chars, heap right after +${mib(after.heapUsed - before.heapUsed)}, ` +
          `retained +${mib(retained)}, rss ${mib(after.rss)}${result.cannotMeasure ? `; cannot measure: ${result.cannotMeasure}` : ''}`,
      );
    }
    await probe.close?.();
  }
} finally {
  await engine.stop();
}
