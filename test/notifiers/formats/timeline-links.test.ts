// Every webhook format a person reads links the incident's timeline when server.public_url is set, as the email and
// the push formats do: a page, and the all-clear too (the timeline tells what happened); nothing without one.
import { describe, expect, it } from 'vitest';
import webhook from '../../../src/notifiers/webhook.js';
import { channel, item, note, T0 } from '../webhook-fixtures.js';

const TIMELINE = 'https://centinela.example/alerts/a1?incident=1';

const FORMATS = {
  slack: () => channel({ format: 'slack', url: 'http://127.0.0.1:9/services/T0/B0/x' }),
  teams: () => channel({ format: 'teams', url: 'http://127.0.0.1:9/workflows/x' }),
  telegram: () => channel({ format: 'telegram', bot_token: 't', chat_id: '1' }),
  generic: () => channel({ format: 'generic', url: 'http://127.0.0.1:9/hook' }),
};

/** The JSON body a notification of `items` renders to in `format`. */
const body = (format: keyof typeof FORMATS, items = [item({ timelineUrl: TIMELINE })]) =>
  JSON.parse(webhook.render(note(items), FORMATS[format]()).requests[0]?.body ?? '{}');

describe.each(Object.keys(FORMATS) as (keyof typeof FORMATS)[])('the %s format', (format) => {
  it('links the timeline on a page and on the all-clear', () => {
    expect(JSON.stringify(body(format))).toContain(TIMELINE);
    const resolved = item({ kind: 'resolved', resolvedAt: T0 + 27 * 60_000, ackUrl: undefined, timelineUrl: TIMELINE });
    expect(JSON.stringify(body(format, [resolved]))).toContain(TIMELINE);
  });

  it('links no timeline without a public URL', () => {
    expect(JSON.stringify(body(format, [item()]))).not.toContain('/alerts/');
  });
});

describe('where each format puts the link', () => {
  it('slack: a Timeline button beside Acknowledge', () => {
    const buttons = body('slack').blocks[2].elements;
    expect(buttons.map((b: { text: { text: string }; url: string }) => [b.text.text, b.url])).toEqual([
      ['Acknowledge', 'https://centinela.example/ack/abc.def'],
      ['Timeline', TIMELINE],
    ]);
  });

  it('teams: a link in the card, leaving the buttons to acknowledgements', () => {
    const card = body('teams').attachments[0].content;
    expect(card.body).toContainEqual({ type: 'TextBlock', text: `[Timeline](${TIMELINE})`, wrap: true });
    expect(card.actions).toHaveLength(1);
  });

  it('telegram: a link after Acknowledge', () => {
    expect(body('telegram').text).toContain(
      `<a href="https://centinela.example/ack/abc.def">Acknowledge</a> · <a href="${TIMELINE.replace('&', '&amp;')}">Timeline</a>`,
    );
  });

  it('generic: timelineUrl beside ackUrl', () => {
    expect(body('generic').notifications[0]).toMatchObject({ timelineUrl: TIMELINE });
    expect(body('generic', [item()]).notifications[0].timelineUrl).toBeNull();
  });
});
