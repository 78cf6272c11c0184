// The conformance suite every probe kind runs: a dead target, a target speaking garbage and a target that hangs
// must each give `up: false` (never a throw), the run must stop when its signal aborts, and no secret of the config
// may reach the reason, the detail or the samples.
//
//   probeConformance(http, ({ url, secret }) => ({ url, headers: { authorization: `Bearer ${secret}` } }));
//
// `makeConfig` returns the YAML-shaped keys of the kind (name, kind and every are filled in); it is called once per
// target, each a raw TCP server on loopback, so any protocol can be pointed at it.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { type ProbeConfig, probeConfig } from '../../src/config/probes.js';
import type { Probe, ProbeKind, ProbeResult } from '../../src/probes/probe.js';
import { handled } from './probe-runs.js';
import { freePort, startTcpTarget, type TcpTarget } from './tcp-target.js';

/** Where the suite points the probe, and the secret it plants. */
export interface ConformanceTarget {
  host: string;
  port: number;
  /** `http://centinela:<secret>@127.0.0.1:<port>/`: change the scheme to yours (ws://, postgres://, redis://). */
  url: string;
  /** Put it wherever the kind keeps secrets (URL password, a header, `password:`); it must never be shown. */
  secret: string;
}

/** Registers the suite for `kind` in the calling test file. */
export function probeConformance<K extends ProbeConfig['kind']>(
  kind: ProbeKind<K>,
  makeConfig: (target: ConformanceTarget) => Record<string, unknown>,
): void {
  describe(`${kind.kind} probe conformance`, () => {
    const secret = `s3cret-${randomBytes(8).toString('hex')}`;
    const servers: TcpTarget[] = [];
    const probes: Probe[] = [];
    const log = pino({ level: 'silent' });

    const probeFor = async (target: TcpTarget | { port: number }): Promise<Probe> => {
      const input = {
        name: 'conformance',
        every: '10s',
        ...makeConfig({ host: '127.0.0.1', port: target.port, secret, url: urlFor(target.port, secret) }),
        kind: kind.kind,
      };
      const config = probeConfig.parse(input) as Extract<ProbeConfig, { kind: K }>;
      const probe = kind.create(config, { log, clock: systemClock });
      probes.push(probe);
      return probe;
    };
    const run = (probe: Probe, signal = new AbortController().signal) =>
      within(probe.run({ signal, clock: systemClock, log }), 10_000, 'the run did not settle');
    const expectNoSecret = (result: ProbeResult) => {
      const shown = JSON.stringify(result);
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain(encodeURIComponent(secret));
    };

    afterAll(async () => {
      await Promise.all(probes.map((p) => p.close?.()));
      await Promise.all(servers.map((s) => s.close()));
    });

    it('returns up: false with a reason, not a throw, when nothing listens', async () => {
      const port = await freePort();
      const result = await run(await probeFor({ port }));
      expect(result.up).toBe(false);
      if (!result.up) expect(result.reason).toMatch(/\S/);
      expectNoSecret(result);
    });

    it('returns up: false when the target answers garbage and closes', async () => {
      const target = await startTcpTarget('junk-close', 'garbage \u0000\u00ff\r\n\r\n');
      servers.push(target);
      const result = await run(await probeFor(target));
      expect(result.up).toBe(false);
      expectNoSecret(result);
    });

    it('stops when its signal aborts while the target hangs, with the signal reason, and drops the connection', async () => {
      const target = await startTcpTarget('hang');
      servers.push(target);
      const probe = await probeFor(target);
      const abort = new AbortController();
      // A probe that throws (what this suite looks for) rejects it before it is awaited.
      const pending = handled(run(probe, abort.signal));
      await within(target.untilConnected(), 10_000, 'the probe never connected to the target');
      abort.abort(new DOMException('timed out after 3s', 'TimeoutError'));
      const result = await pending;
      expect(result.up).toBe(false);
      if (!result.up) expect(result.reason).toContain('timed out after 3s');
      expectNoSecret(result);
      await probe.close?.();
      probes.splice(probes.indexOf(probe), 1);
      await within(target.untilNoConnections(), 10_000, 'the probe kept its connection to the target open');
    });

    it('returns up: false at once for a signal that is already aborted', async () => {
      const target = await startTcpTarget('hang');
      servers.push(target);
      const abort = new AbortController();
      abort.abort(new DOMException('aborted: centinela is stopping', 'AbortError'));
      const result = await run(await probeFor(target), abort.signal);
      expect(result.up).toBe(false);
      expectNoSecret(result);
    });
  });
}

function urlFor(port: number, secret: string): string {
  return `http://centinela:${encodeURIComponent(secret)}@127.0.0.1:${port}/`;
}

/** `promise`, or a failure naming `what` if it has not settled after `ms` (a hang guard, not a timing check). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}
