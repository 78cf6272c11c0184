// The two config files every bench daemon shares: every priority pages one contact on one webhook, and the daemon
// listens on a free loopback port with its state in the bench's folder.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes escalation.yaml (P0–P3 → contact `oncall` → webhook `sinkUrl`) and centinela.yaml into `dir`. */
export function writeDaemonBasics(dir: string, sinkUrl: string): void {
  const levels = ['P0', 'P1', 'P2', 'P3']
    .map((p) => `  ${p}: { ack_within: 1h, repeat_every: 1h, escalate_to: none, contacts: [oncall] }`)
    .join('\n');
  writeFileSync(
    join(dir, 'escalation.yaml'),
    `levels:\n${levels}\ncontacts:\n  oncall: { name: On call, channels: [hook] }\nchannels:\n  hook: { kind: webhook, format: generic, url: ${sinkUrl} }\n`,
  );
  writeFileSync(
    join(dir, 'centinela.yaml'),
    `server: { listen: "127.0.0.1:0" }\nstate: { path: ${join(dir, 'state.db')} }\n`,
  );
}
