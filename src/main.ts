// CLI entry: the only place that reads argv, the environment and signals; every command is wired here.

import { createRequire } from 'node:module';
import { Command } from 'commander';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command('centinela')
  .description('Monitoring and alerting sidecar: runbook probes, P0–P3 escalation, email and webhooks')
  .version(version, '-V, --version')
  .showHelpAfterError();

await program.parseAsync(process.argv);
