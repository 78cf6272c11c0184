// Ack links must reach the people they are sent to. With ack.link_secret set, every page carries a link under
// server.public_url, opened on a phone at 3 a.m.: unset, pages carry none; pointing at this machine (localhost,
// 127.x, ::1, 0.0.0.0), the link opens the phone itself. Either is a configuration that cannot be acknowledged from
// where the page lands, so `check` and `run` refuse it.
import { BlockList } from 'node:net';
import type { Finding } from './errors.js';
import type { Quoting } from './quoting.js';
import type { FileFinding } from './references.js';
import type { CentinelaFile, EscalationFile, Salvaged } from './schema.js';

const EXAMPLE = 'https://centinela.grupogad.gob.ec';

/** Loopback and unspecified addresses, as WHATWG URL writes them (IPv6 without brackets, IPv4-mapped in hex). */
const THIS_MACHINE = new BlockList();
THIS_MACHINE.addSubnet('127.0.0.0', 8, 'ipv4');
THIS_MACHINE.addAddress('0.0.0.0', 'ipv4');
THIS_MACHINE.addAddress('::1', 'ipv6');
THIS_MACHINE.addAddress('::', 'ipv6');
THIS_MACHINE.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
THIS_MACHINE.addAddress('::ffff:0.0.0.0', 'ipv6');

/** True when `url` names the machine it is opened on rather than centinela's: no one else can follow it. */
export function pointsAtThisMachine(url: string): boolean {
  const host = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host.startsWith('[')) return THIS_MACHINE.check(host.slice(1, -1), 'ipv6');
  return /^[\d.]+$/.test(host) && THIS_MACHINE.check(host, 'ipv4');
}

/**
 * The findings about where ack links point: none while links are off (no link_secret). `centinela` is the checked
 * centinela.yaml (its defaults when the file is left out); a `server` the schema refused is told there already.
 */
export function checkPublicUrl(
  escalation: Salvaged<EscalationFile>,
  centinela: Salvaged<CentinelaFile>,
  quoting: () => Quoting,
): FileFinding[] {
  if (!escalation.ack?.link_secret || !centinela.server) return [];
  const publicUrl = centinela.server.public_url;
  if (publicUrl === undefined) {
    const finding: Finding = {
      path: ['ack', 'link_secret'],
      message:
        'signs the ack links in pages, but server.public_url (centinela.yaml) is not set, so pages carry none. ' +
        `Set server.public_url to the address people reach centinela at from their phones (e.g. ${EXAMPLE}), ` +
        'or leave link_secret empty to turn the links off',
    };
    return [{ ...finding, file: 'escalation' }];
  }
  if (!pointsAtThisMachine(publicUrl)) return [];
  const path = ['server', 'public_url'];
  return [
    {
      file: 'centinela',
      path,
      message:
        `${quoting().subject(publicUrl, path)} points at this machine (a loopback or unspecified address), so an ` +
        `ack link opened on a phone reaches the phone itself. Set it to the address people reach centinela at ` +
        `from their phones, e.g. ${EXAMPLE}`,
    },
  ];
}
