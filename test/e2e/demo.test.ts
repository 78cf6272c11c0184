// `npm run demo -- --once`, as a newcomer runs it after `npm install`: the whole incident timeline is narrated and
// it exits 0. It runs on the real clock (about 45 s): the demo is the product's first minute, not a fake.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm run demo', () => {
  it('walks through fault → P0 page → reminder → ack → fix → resolution and exits 0', async () => {
    const child = spawn('npm', ['run', '--silent', 'demo', '--', '--once'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(out).toMatch(/status page {3}http:\/\/127\.0\.0\.1:\d+\//);
    const steps = [
      /✅ all three probes are up/,
      /💥 breaking the API/,
      /📟 PAGE → on-call engineer \(console\): \[P0\] FIRING ApiDown/,
      /⏱ {2}the P0 page reached the pager \d+\.\d s after the fault/,
      /📟 PAGE → on-call engineer \(console\): \[P0\] REMINDER ApiDown/,
      /✋ acknowledging, as a script would: centinela ack [0-9a-f]{20}/,
      /No reminder in the 17 s since the ack/,
      /🔧 fixing the API/,
      /📟 PAGE → on-call engineer \(console\): \[P0\] RESOLVED ApiDown/,
      /✅ resolved \d+\.\d s after the fix/,
    ];
    let at = 0;
    for (const step of steps) {
      const m = step.exec(out.slice(at));
      expect(m, `missing, in order: ${step}\n${out}`).not.toBeNull();
      at += (m?.index ?? 0) + (m?.[0].length ?? 0);
    }
    // The chat room's copy arrives within milliseconds of the pager's, in either order.
    expect(out).toMatch(/💬 ops chat room \(Slack-format webhook\): \[P0\] API down/);
    expect(out).toMatch(/💬 ops chat room \(Slack-format webhook\): \[RESOLVED\] API down/);
    expect(code).toBe(0);
  }, 120_000);
});
