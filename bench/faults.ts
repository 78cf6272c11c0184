// Bench: centinela beside the anchor of issue 14 (Prometheus + Alertmanager + blackbox, postgres, redis and node
// exporters, from Debian's packages; bench/support/anchor-stack.ts), both watching the same loopback lab and paging
// receivers of their own, while the same faults are injected. For each fault and each system it prints the time
// from the fault to the first page and from the repair to the first all-clear (both taken at the receivers: SMTP,
// webhook, and for centinela the ntfy pushes of the shipped escalation), and the all-clears sent while the fault was
// still there; over the run, the footprint of `centinela run` (built with tsc, as the image runs it) against the six
// anchor processes together: RSS mean and max (sampled each second), CPU-seconds and share of one core.
//
// The lab is test/support/lab-stack.ts on the system clock: the demo API (health, /metrics at 10 requests/s, /ws/stats,
// a WebSocket; 20 % of requests fail in `errors`), a PostgreSQL cluster of its own (max_connections 100), a
// redis-server of its own, a 64 MiB tmpfs as the disk, Docker answered from recorded documents (healthy all along:
// the anchor has no container watch, so no fault touches them) and a fixed /proc for the host. The faults run in four
// lanes side by side, one fault at a time in each (the API has one fault switch; the two database faults share the
// database): API killed, 20 % of requests → 5xx, P95 latency > 0.8 s, health answers 503 unhealthy | 3 queries active
// for over 1 s, 85 idle connections of 100 | Redis killed | disk 98 % full. A fault lasts until both systems paged (or
// `page-within` passed) and `hold` more; after the repair the bench waits for both all-clears (or `clear-within`).
//
//   npx tsx bench/faults.ts [--trials 1] [--timings every-5s|shipped] [--page-within 120s] [--clear-within 120s]
//                           [--hold 20s] [--node-flags "..."] [--env "KEY=VALUE ..."]
//   --timings every-5s  (default) centinela's probes all at `every: 5s` (timeouts 4 s), its rules' `for` and
//                       `clear_for` capped at 10 s and `retry_every` at 1 s (none added where a rule has none),
//                       delivery.group_wait 1 s: the profile issue 14 measured, about 7 minutes a trial
//   --timings shipped   the shipped config/ as it is (caps 12 and 15 minutes; a trial takes over 20 minutes)
//   --page-within, --clear-within  the longest wait for the pages and for the all-clears (defaults per timings)
//   --hold              how long a fault stays after both systems paged, before its repair
//   --probes all        (default) every shipped probe
//   --probes matched    (--timings every-5s only) only the probes the anchor has a counterpart for (api_health:
//                       blackbox, api_metrics: the API's scrape, db, redis, disk and host: the exporters); the others
//                       (WebSocket, public address, TLS, containers, access log, backups) run once an hour, so that
//                       the footprint compares like with like
//   --node-flags, --env the daemon's node flags (given as NODE_OPTIONS) and more environment, KEY=VALUE separated by
//                       blanks; by default the image's (NODE_ENV, UV_THREADPOOL_SIZE; bin/centinela.js adds its own
//                       flags and MALLOC_* to `run`, after NODE_OPTIONS and under the environment given here)
// The anchor always runs its fast profile. Each trial starts both systems afresh (state, TSDB); the lab is shared.
// Needs root (the tmpfs) and Debian's prometheus, prometheus-alertmanager and prometheus-*-exporter packages.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { YAMLMap, YAMLSeq } from 'yaml';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config/load.js';
import { parseDuration } from '../src/duration.js';
import { capRuleWaits, editYamlFile, probesEvery } from '../test/support/config-timings.js';
import { type DaemonProcess, spawnCentinela } from '../test/support/daemon.js';
import { type LabStack, startLabStack } from '../test/support/lab-stack.js';
import { type SmtpSink, startSmtpSink } from '../test/support/smtp-sink.js';
import { startWebhookSink, type WebhookSink } from '../test/support/webhook-sink.js';
import { type AnchorStack, type AnchorTargets, type ShippedRule, startAnchorStack } from './support/anchor-stack.js';
import {
  alertmanagerEmail,
  alertmanagerWebhook,
  centinelaEmail,
  centinelaPush,
  centinelaWebhook,
  type FaultOutcome,
  type FaultWindow,
  faultOutcome,
  type Notice,
  unexplainedPages,
} from './support/notices.js';
import { envOf, load, mean, median, mib, usage } from './support/process-usage.js';
import { buildScratch } from './support/scratch-build.js';

const PROFILES = {
  'every-5s': { pageWithin: '120s', clearWithin: '120s' },
  shipped: { pageWithin: '12m', clearWithin: '15m' },
} as const;
type Timings = keyof typeof PROFILES;

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '1' },
    timings: { type: 'string', default: 'every-5s' },
    'page-within': { type: 'string' },
    'clear-within': { type: 'string' },
    hold: { type: 'string', default: '20s' },
    probes: { type: 'string', default: 'all' },
    // As the image runs the daemon: the Dockerfile's ENV; bin/centinela.js adds the rest to `run` itself.
    'node-flags': { type: 'string', default: '' },
    env: { type: 'string', default: 'NODE_ENV=production UV_THREADPOOL_SIZE=16' },
  },
});
if (!(values.timings in PROFILES)) throw new Error(`--timings: ${values.timings} is not every-5s or shipped`);
const timings = values.timings as Timings;
if (values.probes !== 'all' && values.probes !== 'matched')
  throw new Error(`--probes: ${values.probes} is not all or matched`);
// The anchor scrapes every 5 s whatever the timings: at the shipped intervals the matched probes would not match it.
if (values.probes === 'matched' && timings !== 'every-5s') throw new Error('--probes matched needs --timings every-5s');
/** The shipped probes the anchor watches too, by its blackbox probe, its scrape of the API and its exporters. */
const MATCHED = new Set(['api_health', 'api_metrics', 'db', 'redis', 'disk', 'host']);
const durationOf = (flag: string, text: string) => {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`--${flag}: ${text} is not a duration like 90s or 2m`);
  return ms;
};
const trials = Number(values.trials);
const pageWithin = durationOf('page-within', values['page-within'] ?? PROFILES[timings].pageWithin);
const clearWithin = durationOf('clear-within', values['clear-within'] ?? PROFILES[timings].clearWithin);
const hold = durationOf('hold', values.hold);
const daemonEnv = { ...envOf(values.env), NODE_OPTIONS: values['node-flags'] };
const WARM_UP = 45_000;
// After an all-clear, before the lane's next fault.
const GAP = 10_000;

const SYSTEMS = ['anchor', 'centinela'] as const;
type System = (typeof SYSTEMS)[number];

/** The receivers' notices of both systems, stamped when the bench first sees them (it looks every 50 ms). */
class Receivers {
  readonly notices: Record<System, Notice[]> = { anchor: [], centinela: [] };
  private readonly seen: number[];
  private readonly sources: [() => unknown[], (item: unknown) => [System, Omit<Notice, 'at'>[]]][];
  private stopped = false;

  constructor(lab: LabStack, anchorSmtp: SmtpSink, anchorHook: WebhookSink) {
    type Mail = SmtpSink['received'][number];
    type Request = WebhookSink['requests'][number];
    this.sources = [
      [
        () => lab.smtp.received,
        (m) => {
          const mail = (m as Mail).mail;
          return [
            'centinela',
            [centinelaEmail(mail.subject ?? '', String(mail.headers.get('x-centinela-alerts') ?? ''))],
          ];
        },
      ],
      [() => lab.hook.requests, (r) => ['centinela', centinelaWebhook((r as Request).body)]],
      [() => lab.ntfy.requests, (r) => ['centinela', [centinelaPush((r as Request).body)]]],
      [() => anchorSmtp.received, (m) => ['anchor', [alertmanagerEmail((m as Mail).mail.subject ?? '')]]],
      [() => anchorHook.requests, (r) => ['anchor', [alertmanagerWebhook((r as Request).body)]]],
    ];
    this.seen = this.sources.map(([items]) => items().length);
    void this.watch();
  }

  private async watch(): Promise<void> {
    while (!this.stopped) {
      const at = systemClock.now();
      this.sources.forEach(([items, read], i) => {
        const all = items();
        for (const item of all.slice(this.seen[i])) {
          const [system, notices] = read(item);
          for (const n of notices) this.notices[system].push({ at, ...n });
        }
        this.seen[i] = all.length;
      });
      await systemClock.sleep(50);
    }
  }

  /** Whether `system` sent a notice of `event` about one of `alerts` since `since`. */
  told(system: System, event: Notice['event'], alerts: readonly string[], since: number): boolean {
    return this.notices[system].some(
      (n) => n.event === event && n.at >= since && n.alerts.some((a) => alerts.includes(a)),
    );
  }

  stop(): void {
    this.stopped = true;
  }
}

/**
 * One fault of the lab: the alerts (same names in both systems) that report it, how to cause it and to mend it. A fault
 * starts when inject() is called (a SIGTERM'd Redis refuses connections before it has exited), or, with `startsOnceDone`,
 * when it resolves (queries are slow only once they have run 1 s); a repair holds once repair() resolves.
 */
interface Fault {
  name: string;
  alerts: string[];
  inject(): unknown;
  startsOnceDone?: boolean;
  repair(): unknown;
}

function lanes(lab: LabStack): Fault[][] {
  const api = (name: string, mode: 'killed' | 'errors' | 'slow' | 'unhealthy', alerts: string[]): Fault => ({
    name,
    alerts,
    inject: () => lab.target.setFault(mode),
    repair: () => lab.target.setFault('none'),
  });
  return [
    // The 503 last: its 2.5 % of 5xx raises the error rate, which would otherwise linger into the next fault.
    [
      api('API killed', 'killed', ['ApiDown']),
      api('20 % of requests → 5xx', 'errors', ['ApiErrorRateHigh']),
      api('P95 latency > 0.8 s', 'slow', ['ApiLatencyHigh', 'ApiLatencyP99High']),
      api('health answers 503', 'unhealthy', ['ApiDown']),
    ],
    [
      {
        name: '3 queries > 1 s',
        alerts: ['DbSlowQueries'],
        inject: () => lab.slowQueries(3),
        startsOnceDone: true,
        repair: () => lab.closeSessions(),
      },
      {
        name: '85 idle connections of 100',
        alerts: ['DbConnectionsHigh'],
        inject: async () => {
          const { rows } = await lab.db.admin((c) =>
            c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'`),
          );
          // The admin session counted itself and closes; the probes' sessions stay.
          await lab.openSessions(85 - (rows[0].n - 1));
        },
        repair: () => lab.closeSessions(),
      },
    ],
    [{ name: 'Redis killed', alerts: ['RedisDown'], inject: () => lab.killRedis(), repair: () => lab.startRedis() }],
    [
      {
        name: 'disk 98 % full',
        alerts: ['DiskSpaceLow'],
        inject: () => lab.fillDisk(98),
        repair: () => lab.freeDisk(),
      },
    ],
  ];
}

const until = async (done: () => boolean, within: number) => {
  const deadline = systemClock.now() + within;
  while (!done() && systemClock.now() < deadline) await systemClock.sleep(100);
};

/** Injects the fault, holds it until both paged (and `hold` more), repairs it, waits for both all-clears. */
async function runFault(fault: Fault, receivers: Receivers): Promise<FaultWindow> {
  const calledAt = systemClock.now();
  await fault.inject();
  const injectedAt = fault.startsOnceDone ? systemClock.now() : calledAt;
  await until(() => SYSTEMS.every((s) => receivers.told(s, 'page', fault.alerts, injectedAt)), pageWithin);
  await systemClock.sleep(hold);
  await fault.repair();
  const repairedAt = systemClock.now();
  const paged = SYSTEMS.filter((s) => receivers.told(s, 'page', fault.alerts, injectedAt));
  await until(() => paged.every((s) => receivers.told(s, 'resolved', fault.alerts, repairedAt)), clearWithin);
  const endAt = systemClock.now();
  await systemClock.sleep(GAP);
  return { alerts: fault.alerts, injectedAt, repairedAt, endAt };
}

interface Footprint {
  rssMean: number;
  rssMax: number;
  cpu: number;
  percent: number;
  perProcess: { name: string; rssMean: number; cpu: number }[];
}

/** Samples the RSS of each group's processes every second until stopped; CPU-seconds over the same span. */
function sampleFootprint(groups: Record<System, { name: string; pid: number }[]>) {
  const pids = Object.values(groups).flat();
  const cpuAtStart = new Map(pids.map((p) => [p.pid, usage(p.pid).cpu]));
  const rss = new Map<number, number[]>(pids.map((p) => [p.pid, []]));
  const startedAt = systemClock.now();
  let stopped = false;
  const sampling = (async () => {
    while (!stopped) {
      for (const p of pids) rss.get(p.pid)?.push(usage(p.pid).rss);
      await systemClock.sleep(1_000);
    }
  })();
  return async (): Promise<Record<System, Footprint>> => {
    stopped = true;
    await sampling;
    const seconds = (systemClock.now() - startedAt) / 1000;
    const cpu = new Map(pids.map((p) => [p.pid, usage(p.pid).cpu - (cpuAtStart.get(p.pid) ?? 0)]));
    const of = (procs: { name: string; pid: number }[]): Footprint => {
      const series = procs.map((p) => rss.get(p.pid) ?? []);
      const sums = (series[0] ?? []).map((_, i) => series.reduce((sum, s) => sum + (s[i] ?? 0), 0));
      const total = procs.reduce((sum, p) => sum + (cpu.get(p.pid) ?? 0), 0);
      return {
        rssMean: mean(sums),
        rssMax: Math.max(...sums),
        cpu: total,
        percent: (total / seconds) * 100,
        perProcess: procs.map((p, i) => ({ name: p.name, rssMean: mean(series[i] ?? []), cpu: cpu.get(p.pid) ?? 0 })),
      };
    };
    return { anchor: of(groups.anchor), centinela: of(groups.centinela) };
  };
}

interface Trial {
  /** Each fault, with when it was injected and repaired (seconds after the warm-up). */
  faults: { name: string; outcome: Record<System, FaultOutcome>; injected: number; repaired: number }[];
  footprint: Record<System, Footprint>;
  unexplained: Record<System, { alert: string; at: number }[]>;
  /** When the faults began (after the warm-up), epoch ms. */
  startedAt: number;
  minutes: number;
  load: [string, string];
}

/** Lab, receivers and a scratch build shared by the trials. */
interface Bench {
  lab: LabStack;
  anchorSmtp: SmtpSink;
  anchorHook: WebhookSink;
  targets: AnchorTargets;
  /** The shipped rules, whose thresholds the anchor's rules take. */
  shipped: ShippedRule[];
  root: string;
  work: string;
}

async function trial(bench: Bench, index: number): Promise<Trial> {
  const { lab } = bench;
  const dir = join(bench.work, `trial-${index}`);
  mkdirSync(dir);
  const loadBefore = load();
  let anchor: AnchorStack | undefined;
  let daemon: DaemonProcess | undefined;
  try {
    anchor = await startAnchorStack(bench.targets, bench.shipped, join(dir, 'anchor'));
    daemon = await spawnCentinela(
      lab.configDir,
      { ...lab.env, ...daemonEnv, CENTINELA_STATE: join(dir, 'state.db'), CENTINELA_LISTEN: '127.0.0.1:0' },
      { bin: join(bench.root, 'bin/centinela.js') },
    );
    const receivers = new Receivers(lab, bench.anchorSmtp, bench.anchorHook);
    await systemClock.sleep(WARM_UP);
    const startedAt = systemClock.now();
    const stop = sampleFootprint({ anchor: anchor.processes, centinela: [{ name: 'centinela', pid: daemon.pid }] });
    const plan = lanes(lab);
    const windows = await Promise.all(
      plan.map(async (lane) => {
        const out: FaultWindow[] = [];
        for (const fault of lane) out.push(await runFault(fault, receivers));
        return out;
      }),
    );
    const footprint = await stop();
    receivers.stop();
    const all = windows.flat();
    return {
      faults: plan.flat().map((fault, i) => ({
        name: fault.name,
        injected: ((all[i]?.injectedAt ?? 0) - startedAt) / 1000,
        repaired: ((all[i]?.repairedAt ?? 0) - startedAt) / 1000,
        outcome: {
          anchor: faultOutcome(receivers.notices.anchor, all[i] as FaultWindow),
          centinela: faultOutcome(receivers.notices.centinela, all[i] as FaultWindow),
        },
      })),
      footprint,
      unexplained: {
        anchor: unexplainedPages(receivers.notices.anchor, all),
        centinela: unexplainedPages(receivers.notices.centinela, all),
      },
      startedAt,
      minutes: (systemClock.now() - startedAt) / 60_000,
      load: [loadBefore, load()],
    };
  } finally {
    daemon?.kill('SIGTERM');
    await daemon?.exited;
    await anchor?.close();
  }
}

/** The lab, its config at the chosen timings, the anchor's receivers, and the build of centinela. */
async function startBench(): Promise<Bench> {
  const root = buildScratch(`faults-${process.pid}`);
  const lab = await startLabStack('shipped', { clock: systemClock, maxConnections: 100 });
  if (timings === 'every-5s') {
    editYamlFile(join(lab.configDir, 'alerts.yaml'), (doc) => {
      probesEvery(doc, '5s');
      capRuleWaits(doc, { for: '10s', clear_for: '10s', retry_every: '1s' });
    });
    editYamlFile(join(lab.configDir, 'escalation.yaml'), (doc) => doc.setIn(['delivery', 'group_wait'], '1s'));
  }
  if (values.probes === 'matched') {
    editYamlFile(join(lab.configDir, 'alerts.yaml'), (doc) => {
      for (const probe of (doc.get('probes') as YAMLSeq<YAMLMap>).items) {
        if (!MATCHED.has(String(probe.get('name')))) probe.set('every', '1h');
      }
    });
  }
  const anchorSmtp = await startSmtpSink();
  const anchorHook = await startWebhookSink();
  const targets: AnchorTargets = {
    api: new URL(lab.target.url).host,
    health: `${lab.target.url}/api/v1/health`,
    postgres: `${lab.db.url('postgres', lab.db.password, 'grupogad_prod')}?sslmode=disable`,
    redis: lab.redisUrl,
    mountpoint: join(lab.dir, 'disk'),
    smtp: `127.0.0.1:${anchorSmtp.port}`,
    webhook: anchorHook.url,
  };
  const shipped = (await loadConfig({ dir: lab.configDir, env: lab.env })).alerts.rules;
  return {
    lab,
    anchorSmtp,
    anchorHook,
    targets,
    shipped,
    root,
    work: mkdtempSync(join(tmpdir(), 'centinela-faults-')),
  };
}

async function closeBench(bench: Bench): Promise<void> {
  await Promise.allSettled([bench.lab.close(), bench.anchorSmtp.close(), bench.anchorHook.close()]);
  rmSync(bench.work, { recursive: true, force: true });
  rmSync(bench.root, { recursive: true, force: true });
}

const seconds = (xs: (number | undefined)[]) => {
  const got = xs.filter((x): x is number => x !== undefined);
  if (got.length === 0) return 'none';
  const text = median(got).toFixed(1);
  return got.length < xs.length ? `${text} (${got.length}/${xs.length})` : text;
};
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');

function report(runs: Trial[]): void {
  const faults = runs[0]?.faults.map((f) => f.name) ?? [];
  const pick = (name: string, system: System) =>
    runs.map((r) => r.faults.find((f) => f.name === name)?.outcome[system] ?? { falseClears: 0 });
  console.log(
    `\nmedians of ${runs.length} trial(s), centinela at --timings ${timings} --probes ${values.probes} (node ${values['node-flags'] || '(no flags)'},` +
      ` env ${values.env || '(none added)'}), the anchor at its fast profile;` +
      ` seconds from the fault to the first page / from the repair to the first all-clear (k/N: only k trials had one;` +
      ` none: no trial within ${pageWithin / 1000} s / ${clearWithin / 1000} s)`,
  );
  console.log(
    '| fault | anchor: page / all-clear (s) | centinela: page / all-clear (s) | page, centinela ÷ anchor | false all-clears anchor / centinela |',
  );
  console.log('|---|---|---|---|---|');
  for (const name of faults) {
    const a = pick(name, 'anchor');
    const c = pick(name, 'centinela');
    const pages = (o: FaultOutcome[]) => o.map((x) => x.page);
    const clears = (o: FaultOutcome[]) => o.map((x) => x.allClear);
    const medianOf = (xs: (number | undefined)[]) => median(xs.filter((x): x is number => x !== undefined));
    const falses = (o: FaultOutcome[]) => o.reduce((sum, x) => sum + x.falseClears, 0);
    console.log(
      `| ${name} | ${seconds(pages(a))} / ${seconds(clears(a))} | ${seconds(pages(c))} / ${seconds(clears(c))} |` +
        ` ${ratio(medianOf(pages(c)), medianOf(pages(a)))} | ${falses(a)} / ${falses(c)} |`,
    );
  }
  const fp = (system: System, f: (x: Footprint) => number) => median(runs.map((r) => f(r.footprint[system])));
  console.log(
    `\n| footprint (median over trials of ${median(runs.map((r) => r.minutes)).toFixed(1)} min after a ${WARM_UP / 1000} s warm-up) | anchor, six processes | centinela | centinela ÷ anchor |`,
  );
  console.log('|---|---|---|---|');
  const row = (label: string, f: (x: Footprint) => number, show: (v: number) => string) =>
    console.log(
      `| ${label} | ${show(fp('anchor', f))} | ${show(fp('centinela', f))} | ${ratio(fp('centinela', f), fp('anchor', f))} |`,
    );
  row('RSS mean (MiB)', (x) => x.rssMean, mib);
  row('RSS max (MiB)', (x) => x.rssMax, mib);
  row(
    'CPU (CPU-s)',
    (x) => x.cpu,
    (v) => v.toFixed(1),
  );
  row(
    'CPU (% of one core)',
    (x) => x.percent,
    (v) => `${v.toFixed(2)} %`,
  );
  const last = runs.at(-1);
  if (last) {
    console.log(
      `anchor by process (last trial): ${last.footprint.anchor.perProcess
        .map((p) => `${p.name} ${mib(p.rssMean)} MiB ${p.cpu.toFixed(1)} CPU-s`)
        .join(', ')}`,
    );
  }
  runs.forEach((r, i) => {
    const noise = (s: System) =>
      r.unexplained[s].map((p) => `${p.alert} at ${((p.at - r.startedAt) / 1000).toFixed(0)} s`).join(', ') || 'none';
    console.log(
      `trial ${i + 1}: load average ${r.load[0]} → ${r.load[1]}; pages no fault explains: anchor ${noise('anchor')};` +
        ` centinela ${noise('centinela')} (seconds after the warm-up)`,
    );
  });
}

const bench = await startBench();
let closing: Promise<void> | undefined;
const shutdown = () => {
  closing ??= closeBench(bench);
  return closing;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void shutdown().finally(() => process.exit(130));
  });
}
try {
  const runs: Trial[] = [];
  for (let i = 0; i < trials; i++) {
    const t = await trial(bench, i);
    runs.push(t);
    console.log(`trial ${i + 1} of ${trials}: ${t.minutes.toFixed(1)} min, load average ${t.load[0]} → ${t.load[1]}`);
    for (const f of t.faults) {
      const show = (o: FaultOutcome) =>
        `${o.page?.toFixed(1) ?? 'none'} / ${o.allClear?.toFixed(1) ?? 'none'}${o.falseClears ? ` (${o.falseClears} false all-clears)` : ''}`;
      console.log(
        `  ${f.name} (${f.injected.toFixed(0)}–${f.repaired.toFixed(0)} s): anchor ${show(f.outcome.anchor)};` +
          ` centinela ${show(f.outcome.centinela)}`,
      );
    }
  }
  report(runs);
} finally {
  await shutdown();
}
