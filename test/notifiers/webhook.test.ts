// The webhook notifier's own work, apart from any format: quoting a receiver's error answer without the channel's
// secrets. Each format's requests and the conformance table are in formats/*.test.ts.
import { describe, expect, it } from 'vitest';
import { channel, send, useWebhookSink } from './webhook-fixtures.js';

const hook = useWebhookSink();

describe('a receiver quoting the request back', () => {
  const token = 'T0KEN-4f9c2a71e8d34b56';

  it('keeps the start of its answer with the secrets cut out, also one that straddles the cut', async () => {
    const { sink } = hook;
    const cfg = channel({ format: 'generic', url: sink.path(`/hooks/${token}`) });
    // 190 characters, then the path: cut at 200 before the scrub, "/hooks/T0K" would stay.
    sink.script({ status: 400, body: `${'x'.repeat(190)}/hooks/${token} rejected` });
    const d = await send(cfg);
    expect(d).toEqual({
      ok: false,
      retryable: false,
      reason: `webhook (generic) to ${new URL(sink.url).origin}: HTTP 400 ${'x'.repeat(190)}<secret> r`,
    });
  });
});

describe('the exact reason of a failed delivery', () => {
  const cfg = () => channel({ format: 'generic', url: `${hook.sink.url}?token=abc` });
  const origin = () => new URL(hook.sink.url).origin;

  it('500 → retry, naming the channel, the origin only and the start of the answer', async () => {
    hook.sink.script({ status: 500, body: 'boom' });
    expect(await send(cfg())).toEqual({
      ok: false,
      retryable: true,
      reason: `webhook (generic) to ${origin()}: HTTP 500 boom`,
    });
  });

  it('404 → final, with the start of the answer and no token from the URL', async () => {
    hook.sink.script({ status: 404, body: 'no such hook' });
    expect(await send(cfg())).toEqual({
      ok: false,
      retryable: false,
      reason: `webhook (generic) to ${origin()}: HTTP 404 no such hook`,
    });
  });
});
