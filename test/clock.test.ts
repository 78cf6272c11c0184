// FakeClock: time moves only when told, due timers fire in order, sleeps end or abort; systemClock keeps real time.
import { describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../src/clock.js';

describe('FakeClock', () => {
  it('starts where it is told and stands still', () => {
    expect(new FakeClock(1_000).now()).toBe(1_000);
    expect(new FakeClock(new Date('2026-03-01T00:00:00Z')).now()).toBe(Date.UTC(2026, 2, 1));
  });

  it('fires due timers in due order, ties in creation order, each at its own time', async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    const mark = (name: string) => () => fired.push(`${name}@${clock.now()}`);
    clock.setTimeout(mark('c'), 300);
    clock.setTimeout(mark('a'), 100);
    clock.setTimeout(mark('b1'), 200);
    clock.setTimeout(mark('b2'), 200);
    clock.setTimeout(mark('late'), 1_000);
    await clock.advance(500);
    expect(fired).toEqual(['a@100', 'b1@200', 'b2@200', 'c@300']);
    expect(clock.now()).toBe(500);
    expect(clock.pending).toBe(1);
  });

  it('fires timers set by a timer within the same advance, and a negative delay at once', async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    const immediate: number[] = [];
    const tick = () => {
      ticks.push(clock.now());
      if (ticks.length < 5) clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    clock.setTimeout(() => immediate.push(clock.now()), -50);
    await clock.advance(350);
    expect([ticks, immediate]).toEqual([[100, 200, 300], [0]]);
    await clock.advance(1_000);
    expect(ticks).toEqual([100, 200, 300, 400, 500]);
  });

  it('cancels a timer', async () => {
    const clock = new FakeClock(0);
    let fired = false;
    const cancel = clock.setTimeout(() => {
      fired = true;
    }, 10);
    cancel();
    await clock.advance(100);
    expect([fired, clock.pending]).toEqual([false, 0]);
  });

  it('lets code that awaits between timers run as it would in real time', async () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1_000);
        await Promise.resolve();
        seen.push(clock.now());
      }
    })();
    await clock.advance(3_000);
    await loop;
    expect(seen).toEqual([1_000, 2_000, 3_000]);
  });

  it('ends a sleep early with the signal’s reason, and refuses one already aborted', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(10_000, controller.signal);
    await clock.advance(1_000);
    controller.abort(new Error('stopping'));
    await expect(sleeping).rejects.toThrow('stopping');
    expect(clock.pending).toBe(0);
    await expect(clock.sleep(5, controller.signal)).rejects.toThrow('stopping');
  });

  it('advanceTo moves to an instant and never backwards', async () => {
    const clock = new FakeClock(1_000);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 500);
    await clock.advanceTo(2_000);
    expect([clock.now(), fired]).toEqual([2_000, [1_500]]);
    await clock.advanceTo(1_000);
    expect(clock.now()).toBe(2_000);
  });
});

describe('systemClock', () => {
  it('reads real time and sleeps through a real timer', async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    await systemClock.sleep(1);
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort(new Error('no wait'));
    await expect(sleeping).rejects.toThrow('no wait');
  });

  it('waits past the longest Node timer instead of firing at once, with no warning', async () => {
    // Node fires a timer longer than 2^31 - 1 ms after 1 ms and warns (TimeoutOverflowWarning).
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    let fired = 0;
    const cancels = [2 ** 31, 30 * 86_400_000, Number.MAX_SAFE_INTEGER].map((ms) =>
      systemClock.setTimeout(() => fired++, ms),
    );
    await systemClock.sleep(50);
    for (const cancel of cancels) cancel();
    process.off('warning', onWarning);
    expect({ fired, warnings: warnings.map((w) => w.name) }).toEqual({ fired: 0, warnings: [] });
  });
});
