// The docker probe: state, health, restarts, OOM kills, CPU and memory of the stack's containers and the error lines
// in their logs, read from the Engine API (dockerode) over its unix socket or TCP.
import type Docker from 'dockerode';
import { z } from 'zod';
import type { DockerProbeConfig } from '../config/probes.js';
import type { Sample } from '../types.js';
import {
  DEFAULT_ENDPOINT,
  engineClient,
  engineFailure,
  engineGet,
  message,
  parseAnswer as parse,
  readLogLines,
  stopped,
} from './docker-api.js';
import {
  type LogCursor,
  LogWindow,
  lineMatcher,
  maskCredentials,
  sinceSeconds,
  type WindowResult,
} from './docker-logs.js';
import { type ContainerFigures, containerFigures, statsDocument } from './docker-stats.js';
import { PatternUnfinished } from './pattern-match.js';
import { defineProbe, sample } from './probe.js';

// The first read of a container's log (no cursor yet) takes only its last lines: a log can hold years of history.
const FIRST_READ_TAIL = 1000;
const HEALTH_OUTPUT_LINES = 5;

const listed = z.array(
  z.object({ Id: z.string(), Names: z.array(z.string()), Labels: z.record(z.string(), z.string()).nullish() }),
);

const inspected = z.object({
  Id: z.string(),
  RestartCount: z.number().int().nonnegative(),
  State: z.object({
    Status: z.string(),
    OOMKilled: z.boolean(),
    ExitCode: z.number().int(),
    Health: z
      .object({ Status: z.string(), Log: z.array(z.object({ ExitCode: z.number(), Output: z.string() })).nullish() })
      .nullish(),
  }),
  Config: z.object({ Tty: z.boolean().optional() }).optional(),
});
type Inspected = z.output<typeof inspected>;

// Compose writes the service a container runs (api, db, …) into this label; rules select a service's containers by
// it, whatever the project and container names are.
const SERVICE_LABEL = 'com.docker.compose.service';

/** A container to observe: its name, and its compose service when it has one. */
interface Selected {
  id: string;
  name: string;
  service?: string;
}

/**
 * What one run learnt about one container; `inspect` is undefined when it is missing. A compose service of `services`
 * with no container at all is observed as `service <name>`, labelled by its service alone.
 */
interface Observation {
  name: string;
  service?: string;
  serviceOnly?: true;
  inspect?: Inspected;
  figures?: ContainerFigures;
  log?: WindowResult;
  /** Why a figure of this container could not be read, for `cannotMeasure`. */
  problems: string[];
  /** The run was stopped while its log's lines were matched (or waited to be), in words. */
  unfinished?: string;
}

export default defineProbe({
  kind: 'docker',
  create(config) {
    const endpoint = config.endpoint ?? DEFAULT_ENDPOINT;
    const watch = config.logs === false ? undefined : config.logs;
    const matches = watch && lineMatcher(watch.pattern, watch.json_levels);
    // Between runs: each container's id and restart count, and each container id's log cursor.
    const restartsSeen = new Map<string, { id: string; count: number }>();
    const cursors = new Map<string, LogCursor>();
    let engine: Docker | undefined;

    async function observe(box: Docker, { id, name, service }: Selected, signal: AbortSignal): Promise<Observation> {
      const seen: Observation = { name, ...(service === undefined ? {} : { service }), problems: [] };
      try {
        seen.inspect = parse(inspected, await box.getContainer(id).inspect({ abortSignal: signal }), 'inspect');
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return seen; // removed since the list: missing
        seen.problems.push(`inspect: ${message(err)}`);
        return seen;
      }
      const running = seen.inspect.State.Status === 'running';
      await Promise.all([
        running &&
          config.stats &&
          readStats(box, id, signal).then(
            (figures) => {
              seen.figures = figures;
            },
            (err) => seen.problems.push(`stats: ${message(err)}`),
          ),
        watch &&
          matches &&
          readLog(
            box,
            id,
            seen.inspect.Config?.Tty ?? false,
            new LogWindow(matches, watch.keep, cursors.get(id), signal),
            signal,
          ).then(
            (log) => {
              seen.log = log;
            },
            (err) => {
              seen.problems.push(`logs: ${message(err)}`);
              if (err instanceof PatternUnfinished) seen.unfinished = err.message;
            },
          ),
      ]);
      return seen;
    }

    return {
      async run({ signal }) {
        // A failure to load dockerode is no engine failure, so it is outside the try below (the run fails with its reason).
        engine ??= await engineClient(endpoint);
        const box = engine;
        let list: z.output<typeof listed>;
        try {
          list = parse(listed, await box.listContainers({ all: true, abortSignal: signal }), 'container list');
        } catch (err) {
          return { up: false, reason: engineFailure(err, endpoint, signal) };
        }
        const { found, missing } = select(list, config);
        const observed = await Promise.all(found.map((c) => observe(box, c, signal)));
        if (signal.aborted) {
          // The Engine may well have answered, and the pattern have held the run: say so rather than blame it.
          const held = observed.find((o) => o.unfinished !== undefined);
          return { up: false, reason: held ? `${held.name}: ${held.unfinished}` : stopped(endpoint, signal) };
        }
        const all: Observation[] = [
          ...observed,
          ...missing.names.map((name) => ({ name, problems: [] })),
          ...missing.services.map((service) => ({
            name: `service ${service}`,
            service,
            serviceOnly: true as const,
            problems: [],
          })),
        ];
        const samples = all.flatMap((o) => samplesOf(o, restartsSeen.get(o.name)));
        // Baselines move only on a run whose samples are reported, so a failed run loses no restart and no log line.
        for (const o of all) {
          if (!o.inspect) continue;
          restartsSeen.set(o.name, { id: o.inspect.Id, count: o.inspect.RestartCount });
          if (o.log?.cursor) cursors.set(o.inspect.Id, o.log.cursor);
        }
        // A container the Engine no longer lists is gone for good (ids are never reused): every recreation would
        // otherwise leave its cursor behind for the life of the daemon.
        const listedIds = new Set(list.map((c) => c.Id));
        for (const id of cursors.keys()) if (!listedIds.has(id)) cursors.delete(id);
        // Likewise a name this run did not report on: a selected container the Engine no longer lists (a one-off
        // run, a scaled-down replica); match_labels and the everything-selection would otherwise pile them up. One
        // that comes back is seen for the first time. A configured name is reported on while missing, so it keeps
        // its entry (the config bounds those): its recreation counts all of the new container's restarts.
        const reported = new Set(all.map((o) => o.name));
        for (const name of restartsSeen.keys()) if (!reported.has(name)) restartsSeen.delete(name);
        const problems = all.flatMap((o) => o.problems.map((p) => `${o.name}: ${p}`));
        return {
          up: true,
          samples,
          detail: all.map(describe).join('\n'),
          ...(problems.length > 0 ? { cannotMeasure: problems.join('; ') } : {}),
        };
      },
    };
  },
});

/**
 * The configured names (found or missing) plus every container carrying all of `match_labels`; all when neither. The
 * `services` that no selected container runs are missing too.
 */
function select(
  list: z.output<typeof listed>,
  config: DockerProbeConfig,
): { found: Selected[]; missing: { names: string[]; services: string[] } } {
  const named = list.map((c) => {
    const labels = c.Labels ?? {};
    const service = labels[SERVICE_LABEL];
    return { id: c.Id, name: primaryName(c.Names), labels, ...(service === undefined ? {} : { service }) };
  });
  const everything = config.containers.length === 0 && config.match_labels === undefined;
  const wanted = new Set(config.containers);
  const labelled = (labels: Record<string, string>) =>
    config.match_labels !== undefined && Object.entries(config.match_labels).every(([k, v]) => labels[k] === v);
  // The named ones in the configured order, then the labelled ones by name: the detail reads like the config.
  const rank = (name: string) => (wanted.has(name) ? config.containers.indexOf(name) : config.containers.length);
  const found = named
    .filter((c) => everything || wanted.has(c.name) || labelled(c.labels))
    .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  const present = new Set(found.map((c) => c.name));
  const served = new Set(found.map((c) => c.service));
  return {
    found,
    missing: {
      names: config.containers.filter((n) => !present.has(n)),
      services: config.services.filter((s) => !served.has(s)),
    },
  };
}

// Names holds "/name" plus "/other/alias" entries for legacy links; the container's own name has one slash.
function primaryName(names: string[]): string {
  const own = names.find((n) => n.lastIndexOf('/') === 0) ?? names[0] ?? '';
  return own.replace(/^\//, '');
}

// stream=false without one-shot is what `docker stats --no-stream` asks for (docker CLI up to v28; v29 asks for the
// same pair explicitly): the Engine waits for two of its collector's samples (about 1 s apart), drops the first and
// returns the second with precpu_stats = the first. With one-shot=true it returns its first sample with an empty
// precpu_stats (checked on dockerd 20.10): the "delta" would be all the container's CPU time over the host's since
// boot, near 0 %. The price is about 2 s per run, spent waiting, for all containers at once.
async function readStats(engine: Docker, id: string, signal: AbortSignal): Promise<ContainerFigures | undefined> {
  const doc = parse(
    statsDocument,
    await engineGet(engine, `/containers/${id}/stats`, { stream: false }, signal, 'json'),
    'stats',
  );
  const figures = containerFigures(doc);
  return figures.memory ? figures : undefined; // it stopped between inspect and stats: the Engine sent no figures
}

async function readLog(engine: Docker, id: string, tty: boolean, window: LogWindow, signal: AbortSignal) {
  const cursor = window.previous;
  const range = cursor ? { since: sinceSeconds(cursor) } : { tail: FIRST_READ_TAIL };
  await readLogLines(engine, id, tty, range, (line) => window.add(line), signal);
  return window.result();
}

function samplesOf(o: Observation, before: { id: string; count: number } | undefined): Sample[] {
  const labels: Record<string, string> = {
    ...(o.serviceOnly ? {} : { container: o.name }),
    ...(o.service === undefined ? {} : { service: o.service }),
  };
  const c = o.inspect;
  if (!c) return o.problems.length > 0 ? [] : [sample('present', 0, labels)];
  const health = c.State.Health && c.State.Health.Status !== 'none' ? c.State.Health.Status : undefined;
  // Restarts since the last run: the RestartCount delta; a recreated container (new id) counts all of its own.
  // The first run only sets the baseline.
  const restarts = !before ? 0 : before.id === c.Id ? Math.max(0, c.RestartCount - before.count) : c.RestartCount;
  const out = [
    sample('present', 1, labels),
    sample('running', c.State.Status === 'running' ? 1 : 0, labels),
    sample('restarting', c.State.Status === 'restarting' ? 1 : 0, labels),
    sample('restarts', restarts, labels),
    sample('oom_killed', c.State.OOMKilled ? 1 : 0, labels),
    sample('exit_code', c.State.ExitCode, labels),
  ];
  // `healthy` is absent without a healthcheck and while it is starting: neither state is healthy nor unhealthy.
  if (health !== undefined) out.push(sample('health_starting', health === 'starting' ? 1 : 0, labels));
  if (health === 'healthy' || health === 'unhealthy') out.push(sample('healthy', health === 'healthy' ? 1 : 0, labels));
  if (o.figures?.memory) {
    out.push(
      sample('cpu_percent', o.figures.cpuPercent, labels),
      sample('memory_percent', o.figures.memory.percent, labels),
      sample('memory_usage_bytes', o.figures.memory.usageBytes, labels),
    );
  }
  if (o.log) out.push(sample('log_errors', o.log.matches, labels));
  return out;
}

function describe(o: Observation): string {
  const c = o.inspect;
  if (!c) return `${o.name}: ${o.problems.length > 0 ? 'not readable' : 'missing'}`;
  const health = c.State.Health?.Status;
  const parts = [c.State.Status + (c.State.Status === 'exited' ? ` (exit code ${c.State.ExitCode})` : '')];
  if (health && health !== 'none') parts.push(health);
  if (c.State.OOMKilled) parts.push('OOM-killed');
  parts.push(`restart count ${c.RestartCount}`);
  const mem = o.figures?.memory;
  if (o.figures && mem) {
    parts.push(
      `CPU ${o.figures.cpuPercent.toFixed(2)} %`,
      `memory ${mem.percent.toFixed(2)} % (${mib(mem.usageBytes)} of ${mib(mem.limitBytes)})`,
    );
  }
  let lines = [`${o.name}: ${parts.join(', ')}`];
  if (health === 'unhealthy') {
    const last = c.State.Health?.Log?.at(-1);
    const output = (last?.Output ?? '').trim().split('\n').slice(-HEALTH_OUTPUT_LINES);
    lines = [
      ...lines,
      `  last health check (exit ${last?.ExitCode ?? '?'}):`,
      ...output.map((l) => `    ${maskCredentials(l).slice(0, 300)}`),
    ];
  }
  if (o.log && o.log.matches > 0) {
    lines = [
      ...lines,
      `  ${o.log.matches} error line(s) in the log this window; last ${o.log.last.length}:`,
      ...o.log.last.map((l) => `    ${l}`),
    ];
  }
  return lines.join('\n');
}

function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}
