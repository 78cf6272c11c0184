// Where ack links point: what counts as this machine (a phone opening the link reaches itself), and that the check
// speaks only while links are on.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { pointsAtThisMachine } from '../../src/config/public-url.js';
import { VALID } from '../support/config-fixtures.js';

describe('pointsAtThisMachine', () => {
  it.each([
    'http://localhost:9810',
    'http://LOCALHOST.:9810/',
    'http://centinela.localhost',
    'http://127.0.0.1:9810',
    'http://127.8.9.10/',
    'http://2130706433/',
    'http://0.0.0.0:9810',
    'http://0/',
    'http://[::1]:9810',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[::]:9810',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:0.0.0.0]/',
  ])('%s is this machine', (url) => {
    expect(pointsAtThisMachine(url)).toBe(true);
  });

  it.each([
    'https://centinela.grupogad.gob.ec',
    'http://10.0.0.5:9810',
    'http://192.168.1.20:9810',
    'http://localhost.example.org',
    'http://127.0.0.1.nip.io',
    'http://[fe80::1]/',
    'http://[::ffff:10.0.0.1]/',
    'http://[2001:db8::1]:9810',
  ])('%s is another machine', (url) => {
    expect(pointsAtThisMachine(url)).toBe(false);
  });
});

describe('the public URL check', () => {
  const local = 'server:\n  public_url: http://localhost:9810\n';

  it('says nothing while ack links are off (no link_secret, or an empty one)', () => {
    for (const ack of ['', 'ack:\n  link_secret: ${ACK_SECRET:-}\n']) {
      const c = parseConfig('dir', { ...VALID, escalation: `${VALID.escalation}${ack}`, centinela: local }, {});
      expect(c.centinela.server.public_url).toBe('http://localhost:9810');
    }
  });

  it('lets links on point at another machine', () => {
    const escalation = `${VALID.escalation}ack:\n  link_secret: k\n`;
    const centinela = 'server:\n  public_url: https://centinela.grupogad.gob.ec\n';
    expect(parseConfig('dir', { ...VALID, escalation, centinela }, {}).escalation.ack.link_secret).toBeDefined();
  });
});
