// CLI entry: the only place that reads argv, the environment and signals; every command is wired here.

// First, before any import loads node-postgres: it refuses NODE_PG_FORCE_NATIVE.
import './pg-native-refused.js';
import { Command } from 'commander';
import { ackCommand } from './cli/ack.js';
import { alertsCommand } from './cli/alerts.js';
import { checkCommand } from './cli/check.js';
import { deployCommand } from './cli/deploy.js';
import { maintenanceCommand } from './cli/maintenance.js';
import { notifyTestCommand } from './cli/notify-test.js';
import { probeCommand } from './cli/probe.js';
import { runCommand } from './cli/run.js';
import { silenceCommand } from './cli/silence.js';
import { testCommand } from './cli/test.js';
import { verifyCommand } from './cli/verify.js';
import { VERSION } from './version.js';

// Node prints process warnings itself ("(node:123) Warning: …" on stderr), outside the log and in no format of ours.
// Its printer is taken off: `run` logs them (see onWarning below); the other commands, whose output is a report for a
// person or a script, drop them — what they are about (a YAML key that is a list) is reported as a problem of its own.
process.removeAllListeners('warning');

const program = new Command('centinela')
  .description('Monitoring and alerting sidecar: runbook probes, P0–P3 escalation, email and webhooks')
  .version(VERSION, '-V, --version')
  .showHelpAfterError();

// The API clients (alerts, ack, silence, maintenance) take the server and token from flags, else from here.
const clientEnv = { url: process.env.CENTINELA_URL, token: process.env.CENTINELA_TOKEN, user: process.env.USER };
program.addCommand(alertsCommand(clientEnv));
program.addCommand(ackCommand(clientEnv));
program.addCommand(silenceCommand(clientEnv));
program.addCommand(maintenanceCommand(clientEnv));

/** The configuration folder: --config DIR, else CENTINELA_CONFIG, else ./config. */
const configDir = (flag?: string): string => flag ?? process.env.CENTINELA_CONFIG ?? 'config';
/** Which outputs are terminals: readable log lines there, JSON lines elsewhere. */
const tty = { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true };
const configDeps = { configDir, env: process.env, tty };
program.addCommand(checkCommand(configDeps));
program.addCommand(probeCommand(configDeps));
program.addCommand(testCommand(configDeps));
program.addCommand(verifyCommand(configDeps));
program.addCommand(deployCommand(clientEnv, configDeps));
program.addCommand(notifyTestCommand(configDeps));
program.addCommand(
  runCommand({
    ...configDeps,
    onSignal: (signal, handler) => process.on(signal, handler),
    onWarning: (handler) => process.on('warning', handler),
  }),
);

await program.parseAsync(process.argv);
