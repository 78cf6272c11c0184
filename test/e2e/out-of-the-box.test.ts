// Issue 15 item 5, out of the box: the shipped config/ exactly as it is, pointed at loopback stand-ins of every target
// (test/support/lab-stack.ts: the API, Caddy over HTTPS, PostgreSQL, Redis, the Docker Engine, the disk, the host,
// the mail relay and the push and webhook receivers) by the environment variables docs/deploy.md documents and
// nothing else, run by the whole daemon on a fake clock: a healthy stack pages nobody and holds no alert, pending or
// firing, and every probe measures what it is meant to.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../support/daemon.js';
import { type LabStack, startLabStack } from '../support/lab-stack.js';
import { documentedVariables } from '../support/shipped-env.js';

const MIN = 60_000;

// What the lab gives the daemon that is not the shipped config's: test/support/daemon.ts opens the store at STATE_PATH.
const HARNESS = new Set(['STATE_PATH']);

let lab: LabStack;
let daemon: Daemon;

beforeAll(async () => {
  lab = await startLabStack('shipped');
  daemon = await startDaemon(lab, { stepMs: 1_000 });
}, 60_000);

afterAll(async () => {
  await daemon?.close();
  await lab?.close();
});

describe('the shipped config against a healthy stack', () => {
  it('is config/ unchanged, pointed at the stack by documented variables only', () => {
    for (const file of ['alerts.yaml', 'escalation.yaml', 'centinela.yaml']) {
      expect(readFileSync(join(lab.configDir, file), 'utf8'), file).toBe(readFileSync(join('config', file), 'utf8'));
    }
    const documented = documentedVariables();
    expect(documented.size).toBeGreaterThan(20);
    expect(Object.keys(lab.env).filter((v) => !documented.has(v) && !HARNESS.has(v))).toEqual([]);
  });

  it('pages nobody and holds no alert for an hour, with every probe up and measuring', async () => {
    await daemon.advance(60 * MIN);
    const auth = { authorization: `Bearer ${lab.env.CENTINELA_WRITE_TOKEN}` };
    const alerts = await daemon.app.server.inject({ method: 'GET', url: '/api/v1/alerts', headers: auth });
    const open = (alerts.json().alerts as { alertname: string; labels: object; state: string }[])
      .filter((a) => a.state !== 'resolved')
      .map((a) => `${a.alertname} ${JSON.stringify(a.labels)} ${a.state}`);
    expect(open).toEqual([]);
    expect(lab.smtp.received.map((m) => m.mail.subject)).toEqual([]);
    expect(lab.ntfy.requests.map((r) => r.body)).toEqual([]);
    expect(lab.hook.requests.map((r) => r.body)).toEqual([]);
    const metrics = await daemon.app.server.inject({ method: 'GET', url: '/metrics', headers: auth });
    const probes = metrics.body.split('\n').filter((l) => l.startsWith('centinela_probe_up{'));
    expect(probes.filter((l) => !l.endsWith(' 1'))).toEqual([]);
    const shipped = readFileSync('config/alerts.yaml', 'utf8');
    const probeSection = shipped.slice(shipped.indexOf('\nprobes:'), shipped.indexOf('\nrules:'));
    expect(probes).toHaveLength(probeSection.match(/^ {2}- name: /gm)?.length ?? 0);
    // The off-site check, off by default, is on here (OFFSITE_S3_BUCKET) and measures the stand-in's copy.
    expect(metrics.body).toContain('centinela_sample_objects{probe="offsite_backup"} 1');
  }, 180_000);
});
