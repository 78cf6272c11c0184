// `centinela deploy [options] -- CMD…`: the team's deploy script run inside a maintenance window. Opens the window on
// the running daemon, runs CMD with its output streamed through and its last lines sent to the daemon (a
// HealthNotBack page shows them), waits until the daemon closes the window (health back after CMD ended) or pages at
// --max, then runs `verify`. Exit status: CMD's when it failed, else verify's; 1 when health was not back by --max.
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { formatDuration, parseDuration } from '../duration.js';
import type { Verification } from '../rules/verify.js';
import { type MaintenanceView, OUTPUT_MAX } from '../server/api-shapes.js';
import { type ApiClient, author, type ClientEnv, ClientError, clientFor, withClientOptions } from './client.js';
import { type CommandRun, type ConfigCommandDeps, commandLogger, configOption, shellRun } from './config-command.js';
import { probeList } from './maintenance.js';
import { preDeploy } from './pre-deploy.js';
import { DEFAULT_FAIL_ON, formatVerification, verification } from './verify.js';

/** How many of the command's last lines the daemon keeps for the page. */
export const OUTPUT_LINES = 30;
/** How often new output is sent while the command runs, and the window asked about while waiting for it to close. */
const SEND_EVERY_MS = 5_000;
const POLL_EVERY_MS = 1_000;
/** How long past the window's end the daemon may take to close it (its next evaluation) before the wait gives up. */
const CLOSE_GRACE_MS = 60_000;

/** The last lines of a stream of output, as many as the page shows and at most OUTPUT_MAX characters. */
export class OutputTail {
  #lines: string[] = [];
  #partial = '';
  #changed = false;

  /** Adds a chunk of output (any split, any mix of stdout and stderr). */
  add(chunk: string): void {
    const parts = (this.#partial + chunk).split(/\r?\n/);
    this.#partial = parts.pop() ?? '';
    this.#lines = this.#lines.concat(parts).slice(-OUTPUT_LINES);
    this.#changed = true;
  }

  /** True once, after output was added since the last call. */
  takeChanged(): boolean {
    const changed = this.#changed;
    this.#changed = false;
    return changed;
  }

  /** The last lines, the unfinished one included, cut from the start to OUTPUT_MAX characters. */
  text(): string {
    const lines = this.#partial ? [...this.#lines, this.#partial] : this.#lines;
    const text = lines.slice(-OUTPUT_LINES).join('\n');
    return text.length > OUTPUT_MAX ? `…${text.slice(text.length - OUTPUT_MAX + 1)}` : text;
  }
}

/** What a deploy is given: the command, the window's terms, and where verify reads its configuration. */
export interface DeployOptions {
  command: string[];
  probes: string[];
  /** Durations as given (15m): the daemon parses and checks them. */
  max: string;
  settle?: string;
  budget?: string;
  rollback: boolean;
  reason: string;
  by: string;
  /** The application's env file: the pre-deploy checks run on it first, and a failure stops the deploy. */
  appEnv?: string;
  /** Print what happened as one JSON object on stdout (DeployResult), the command's output on stderr. */
  json?: boolean;
}

/** What a deploy talks to: the daemon, the clock, the configuration (verify) and its output streams. */
export interface DeployDeps {
  client: ApiClient;
  clock: Clock;
  run: CommandRun;
  log: Logger;
  /** Where the command's output is passed through to. */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** What a deploy did, as `--json` prints it. */
export interface DeployResult {
  /** The exit status: the command's when it failed; else 1 when health was not back or verify failed; else 0. */
  status: number;
  /** The window as the daemon last showed it: closed (closedBecause says why), or still open when it did not close. */
  window?: MaintenanceView;
  /** The command's exit status, once it ran. */
  commandStatus?: number;
  /** verify's verdict, once health was back. */
  verify?: Verification;
}

/**
 * Runs one deploy; resolves to the exit status. With `json`, stdout holds one JSON object saying what happened
 * (DeployResult) and nothing else: the command's output goes to stderr.
 */
export async function deploy(opts: DeployOptions, d: DeployDeps): Promise<number> {
  const result = await deployRun(opts, d);
  if (opts.json) d.run.out(JSON.stringify(result, null, 2));
  return result.status;
}

async function deployRun(opts: DeployOptions, d: DeployDeps): Promise<DeployResult> {
  if (opts.appEnv !== undefined) {
    const status = await preDeploy({ ...d.run, appEnv: opts.appEnv, clock: d.clock });
    if (status !== 0) {
      d.run.err('centinela deploy: the pre-deploy checks failed; nothing was deployed');
      return { status };
    }
  }
  let window: MaintenanceView;
  try {
    ({ window } = await d.client.call<{ window: MaintenanceView }>('POST', '/api/v1/maintenance', {
      probes: opts.probes,
      max: opts.max,
      // A probe that never fails counts as back once it passes after the command ended, not after a guess.
      settle: opts.settle ?? opts.max,
      ...(opts.budget ? { budget: opts.budget } : {}),
      rollback: opts.rollback,
      reason: opts.reason,
      by: opts.by,
    }));
  } catch (err) {
    if (!(err instanceof ClientError)) throw err;
    d.run.err(`centinela deploy: could not open the maintenance window: ${err.message} (${err.code}); nothing was run`);
    return { status: 1 };
  }
  const what = opts.rollback ? 'rollback' : 'deploy';
  d.run.err(`centinela deploy: window ${window.id} open on ${window.probes.join(', ')} until ${window.endsAt}`);

  const commandStatus = await runCommand(opts.command, window.id, d);
  d.run.err(`centinela deploy: the ${what} command exited with status ${commandStatus}; waiting for health to be back`);
  const failed = (status: number) => (commandStatus === 0 ? status : commandStatus);
  const closed = await waitClosed(window, d);
  if (!closed) return { status: failed(1), window, commandStatus };
  if (closed.closedBecause === 'unhealthy') {
    d.run.err(
      `centinela deploy: ${window.probes.join(', ')} not healthy by the window's end: HealthNotBack paged with the last output lines`,
    );
    return { status: failed(1), window: closed, commandStatus };
  }
  d.run.err(`centinela deploy: window ${window.id} closed (${closed.closedBecause ?? 'closed'}); running verify`);
  const verdict = await verification({ ...d.run, failOn: DEFAULT_FAIL_ON, interval: '5s', clock: d.clock, log: d.log });
  // Without --json the verdict is the table verify prints; with it, it is part of the one JSON object.
  if (verdict && !opts.json) d.run.out(formatVerification(verdict));
  const status = failed(verdict?.ok ? 0 : 1);
  return { status, window: closed, commandStatus, ...(verdict ? { verify: verdict } : {}) };
}

/** Runs the command with its output passed through, sending its last lines to the window; resolves to its status. */
async function runCommand(command: string[], windowId: string, d: DeployDeps): Promise<number> {
  const [file, ...args] = command as [string, ...string[]];
  const tail = new OutputTail();
  const path = `/api/v1/maintenance/${encodeURIComponent(windowId)}/output`;
  let warned = false;
  const send = async (ended: boolean) => {
    try {
      await d.client.call('POST', path, { output: tail.text(), ended });
    } catch (err) {
      if (!(err instanceof ClientError)) throw err;
      // The deploy goes on: a page without the last lines is better than a deploy stopped half-way.
      if (!warned) d.run.err(`centinela deploy: could not send the output to centinela: ${err.message} (${err.code})`);
      warned = true;
    }
  };
  const child = spawn(file, args, { stdio: ['inherit', 'pipe', 'pipe'] });
  for (const [from, to] of [
    [child.stdout, d.stdout],
    [child.stderr, d.stderr],
  ] as const) {
    from.on('data', (chunk: Buffer) => {
      to.write(chunk);
      tail.add(chunk.toString('utf8'));
    });
  }
  let sending: Promise<void> = Promise.resolve();
  let cancel = () => {};
  const tick = () => {
    cancel = d.clock.setTimeout(() => {
      if (tail.takeChanged()) sending = sending.then(() => send(false));
      tick();
    }, SEND_EVERY_MS);
  };
  tick();
  const status = await new Promise<number>((resolve) => {
    child.on('error', (err) => {
      tail.add(`centinela deploy: cannot run ${file}: ${err.message}\n`);
      d.run.err(`centinela deploy: cannot run ${file}: ${err.message}`);
      resolve(127);
    });
    // A command killed by a signal exits as a shell reports it: 128 + the signal's number.
    child.on('close', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  });
  cancel();
  await sending;
  await send(true);
  return status;
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) ?? 1;
}

/**
 * Asks the daemon about the window until it is closed; undefined, after saying why, when it is still open (or cannot
 * be asked) well past its end.
 */
async function waitClosed(window: MaintenanceView, d: DeployDeps): Promise<MaintenanceView | undefined> {
  const giveUpAt = Date.parse(window.endsAt) + CLOSE_GRACE_MS;
  const path = `/api/v1/maintenance/${encodeURIComponent(window.id)}`;
  let last = '';
  for (;;) {
    try {
      const { window: w } = await d.client.call<{ window: MaintenanceView }>('GET', path);
      if (w.state === 'closed') return w;
      last = 'it is still open';
    } catch (err) {
      if (!(err instanceof ClientError)) throw err;
      last = `${err.message} (${err.code})`;
    }
    if (d.clock.now() >= giveUpAt) {
      d.run.err(
        `centinela deploy: window ${window.id} did not close within ${formatDuration(CLOSE_GRACE_MS)} of its end: ${last}`,
      );
      return undefined;
    }
    await d.clock.sleep(POLL_EVERY_MS);
  }
}

type Opts = {
  url?: string;
  token?: string;
  config?: string;
  probes: string;
  max: string;
  settle?: string;
  budget?: string;
  rollback?: boolean;
  appEnv?: string;
  reason?: string;
  by?: string;
  json?: boolean;
};

/** The `deploy` command. */
export function deployCommand(env: ClientEnv, deps: ConfigCommandDeps): Command {
  return withClientOptions(
    new Command('deploy')
      .description(
        'run a deploy command inside a maintenance window: its output streamed, the window closed when health is ' +
          'back, then verify; HealthNotBack pages with its last output lines when health is not back by --max',
      )
      .argument('<command...>', 'the deploy command and its arguments, after --')
      .option('-p, --probes <names>', 'comma-separated probes whose health closes the window', 'api_health')
      .option('--max <duration>', 'longest the window stays open; health not back by then pages', '15m')
      .option(
        '--budget <duration>',
        'downtime budget: an alert the window holds that has been firing longer than this pages before --max',
      )
      .option(
        '--settle <duration>',
        'a probe that never failed counts as back after this long (default: once it passes after the command ended)',
      )
      .option('--rollback', 'mark the window as a rollback (shown on the status page)')
      .option('--app-env <file>', "run the pre-deploy checks on the application's env file first; stop if they fail")
      .option('-r, --reason <text>', 'why, for the record (default: "deploy: COMMAND" or "rollback: COMMAND")')
      .option('--by <name>', 'who deploys (default: $USER)')
      .option(
        '--json',
        "print what happened as JSON on stdout (window, command status, verify's verdict); the command's output goes to stderr",
      )
      .addOption(configOption())
      .addHelpText(
        'after',
        "\nExit status: the command's when it failed; else 1 when health was not back by --max or verify failed; 0 " +
          'otherwise.\nExample: centinela deploy --probes api_health,api_metrics,ws_stats --budget 2m -- ./scripts/deploy_production.sh',
      ),
  ).action(async (command: string[], opts: Opts) => {
    const log = commandLogger(deps);
    if (!log) {
      process.exitCode = 1;
      return;
    }
    const run = shellRun(deps, opts.config);
    for (const [flag, value] of [
      ['--max', opts.max],
      ['--settle', opts.settle],
      ['--budget', opts.budget],
    ] as const) {
      if (value !== undefined && parseDuration(value) === undefined) {
        run.err(`centinela deploy: ${flag}: "${value}" is not a duration. Write e.g. 30s, 5m or 1h`);
        process.exitCode = 1;
        return;
      }
    }
    const kind = opts.rollback ? 'rollback' : 'deploy';
    process.exitCode = await deploy(
      {
        command,
        probes: probeList(opts.probes),
        max: opts.max,
        ...(opts.settle ? { settle: opts.settle } : {}),
        ...(opts.budget ? { budget: opts.budget } : {}),
        rollback: opts.rollback ?? false,
        reason: opts.reason ?? `${kind}: ${command.join(' ')}`.slice(0, 500),
        by: author(opts, env),
        ...(opts.appEnv ? { appEnv: opts.appEnv } : {}),
        json: opts.json ?? false,
      },
      {
        client: clientFor(opts, env),
        clock: systemClock,
        run,
        log,
        // With --json, stdout is for the JSON alone.
        stdout: opts.json ? process.stderr : process.stdout,
        stderr: process.stderr,
      },
    );
  });
}
