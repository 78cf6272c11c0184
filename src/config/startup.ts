// What `run` meets when it starts, checked without starting anything, so that `check` refuses what `run` cannot
// start with: the state file at state.path (state-path.ts), server.listen's host (it resolves to an address of this
// host), and the files the probes and channels read (tls.ca_file, and those a PostgreSQL URL's sslrootcert, sslcert
// and sslkey name). Each problem is the rest of a sentence about a value, quoting no part of it; the loader places
// it and names the value.

import { X509Certificate } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { clientCertificateProblem, postgresTlsFiles, type TlsFileParam } from '../postgres-tls.js';
import type { PathKey } from './errors.js';
import type { CentinelaFile } from './schema.js';

/** What stops a listen, in the operator's words, by the system's code; `run` says the same when its listen fails. */
const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  ENOTFOUND: 'its host name does not resolve',
  EAI_AGAIN: 'its host name could not be resolved now',
  EAI_NONAME: 'its host name does not resolve',
  EADDRINUSE: 'another process listens on that port',
  EADDRNOTAVAIL: "its address is not one of this host's",
  EACCES: 'a port below 1024 needs privileges',
};

/** Why a listen failed with the system's `code`: `its host name does not resolve (ENOTFOUND)`. */
export function listenFailure(code: string | undefined): string {
  return `${LISTEN_FAILURES[code ?? ''] ?? 'the system refused it'} (${code ?? 'ERROR'})`;
}

/** IPv6 link-local addresses (fe80::/10): each is of one interface, and binds only with it named (fe80::1%eth0). */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

/**
 * Whether `run` can bind `address` (an IP address): every address (0.0.0.0, ::), one of this host's interfaces, or
 * IPv4 loopback, all of 127.0.0.0/8 on Linux. A link-local one must name the interface that has it (by name or
 * index): on another the bind fails with EADDRNOTAVAIL.
 */
function isOwnAddress(address: string): boolean {
  const [bare = '', scope] = address.split('%');
  const family = isIP(bare) === 6 ? 'ipv6' : 'ipv4';
  const interfaces = Object.entries(networkInterfaces());
  if (family === 'ipv6' && LINK_LOCAL.check(bare, 'ipv6')) {
    return interfaces.some(
      ([name, list = []]) =>
        list.some((a) => a.address === bare) && (name === scope || list.some((a) => String(a.scopeid) === scope)),
    );
  }
  const own = new BlockList();
  own.addAddress('0.0.0.0', 'ipv4');
  own.addAddress('::', 'ipv6');
  own.addSubnet('127.0.0.0', 8, 'ipv4');
  for (const a of interfaces.flatMap(([, list = []]) => list)) {
    own.addAddress(a.address, a.family === 'IPv6' ? 'ipv6' : 'ipv4');
  }
  return own.check(bare, family);
}

/**
 * What stops `run` from listening on `listen` before it binds: a host name that does not resolve, a link-local
 * address without its interface, or an address that is not this host's (the one `run` would bind: the host name's
 * first address, as its listen looks it up).
 */
export async function listenProblem(listen: CentinelaFile['server']['listen']): Promise<string | undefined> {
  const cannot = (code: string | undefined) =>
    `cannot be listened on: ${listenFailure(code)}. Write an address of this host, such as 0.0.0.0:9810`;
  let address = listen.host;
  if (isIP(address) === 0) {
    try {
      address = (await lookup(listen.host)).address;
    } catch (err) {
      return cannot((err as NodeJS.ErrnoException).code);
    }
  }
  if (!address.includes('%') && isIP(address) === 6 && LINK_LOCAL.check(address, 'ipv6')) {
    // The system refuses the bind (EINVAL) without saying why.
    return (
      'cannot be listened on: a link-local address (fe80::/10) binds only with its interface named (EINVAL). ' +
      'Write it with its interface, such as [fe80::1%eth0]:9810, or another address of this host'
    );
  }
  return isOwnAddress(address) ? undefined : cannot('EADDRNOTAVAIL');
}

/** No file a probe or channel reads (a CA file: all public roots in PEM are some 200 KiB) is this large. */
const MAX_CA_FILE_BYTES = 4 * 1024 * 1024;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/g;

/**
 * What is wrong with the content of a file of certificates (`of`, named `stem` in the advice: ca, client): no PEM
 * certificate in it, or one that does not parse. Node's TLS takes any text as `ca` without a word and trusts nothing
 * of it, so a DER file or a key put there fails every handshake later as "self-signed certificate", far from its cause.
 */
const certificatesProblem =
  (of: string, stem: string) =>
  (bytes: Buffer): string | undefined => {
    const blocks = [...bytes.toString('latin1').matchAll(PEM_CERTIFICATE)];
    const fix = `Point it at ${of} in PEM (from DER: openssl x509 -inform der -in ${stem}.der -out ${stem}.pem)`;
    if (blocks.length === 0) {
      return `holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----). ${fix}`;
    }
    const broken = blocks.findIndex((b) => {
      try {
        new X509Certificate(b[0]);
        return false;
      } catch {
        return true;
      }
    });
    if (broken === -1) return undefined;
    return `holds a PEM certificate that does not parse (certificate ${broken + 1} of ${blocks.length}). ${fix}`;
  };

/** A private key in PEM, of any algorithm, encrypted or not. */
const PEM_KEY = /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/;

/** What is wrong with a client certificate's key file: no PEM private key in it (Node would fail every handshake). */
function keyProblem(bytes: Buffer): string | undefined {
  if (PEM_KEY.test(bytes.toString('latin1'))) return undefined;
  return "holds no PEM private key (-----BEGIN PRIVATE KEY----- …). Point it at the client certificate's key in PEM";
}

/**
 * The keys whose value is a file centinela reads when a probe runs or a channel sends (it must be there at start),
 * with what its content must be.
 */
const FILE_KEYS: ReadonlyMap<string, (bytes: Buffer) => string | undefined> = new Map([
  ['ca_file', certificatesProblem('the CA certificate', 'ca')],
]);

/** What the files a postgres:// URL's TLS parameters name must hold. */
const URL_FILES: Readonly<Record<TlsFileParam, (bytes: Buffer) => string | undefined>> = {
  sslrootcert: certificatesProblem('the CA certificate', 'ca'),
  sslcert: certificatesProblem('the client certificate', 'client'),
  sslkey: keyProblem,
};

/**
 * What is wrong with a file the TLS parameters of the postgres:// URL `url` name (sslrootcert, sslcert, sslkey), or
 * with the client certificate they make (a key not its own, a passphrase missing or wrong), as the rest of a sentence
 * about the URL, naming the parameter and quoting no path; else undefined.
 */
export function postgresFilesProblem(url: string): string | undefined {
  for (const { param, path } of postgresTlsFiles(url)) {
    const problem = readFileProblem({ at: [], path, content: URL_FILES[param] });
    if (problem) return `names as ${param} a file that ${problem}`;
  }
  return clientCertificateProblem(url);
}

/** A file a probe or channel reads: where it is written, its path and what is wrong with its content. */
export interface FileRead {
  at: PathKey[];
  path: string;
  content: (bytes: Buffer) => string | undefined;
}

/**
 * Every value under a key of FILE_KEYS in a file's checked value (plain data: a Secret holds no path), but an empty
 * one, which means none (`ca_file: ${PUBLIC_CA:-}`).
 */
export function filesRead(value: unknown, at: PathKey[] = []): FileRead[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => filesRead(v, [...at, i]));
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return [];
  return Object.entries(value).flatMap(([k, v]): FileRead[] => {
    const content = FILE_KEYS.get(k);
    if (!content || typeof v !== 'string') return filesRead(v, [...at, k]);
    return v === '' ? [] : [{ at: [...at, k], path: v, content }];
  });
}

/** What is wrong with a file centinela reads, as the rest of a sentence about its path (quoting none of it); else undefined. */
export function readFileProblem({ path, content }: FileRead): string | undefined {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'does not exist. Write the path of a file centinela can read';
    if (code === 'EACCES') return 'is not readable: a folder above it is closed to the user centinela runs as';
    return `cannot be checked (${code ?? 'error'}). Write the path of a file centinela can read`;
  }
  if (stats.isDirectory()) return 'is a folder. Write the path of the file in it';
  if (!stats.isFile()) return 'is not a regular file (a device, a pipe or a socket). Write the path of a file';
  if (stats.size > MAX_CA_FILE_BYTES) {
    return `is larger than ${MAX_CA_FILE_BYTES / 1024 / 1024} MiB, which no CA file is. Write the path of the CA's PEM file`;
  }
  let bytes: Buffer;
  try {
    accessSync(path, constants.R_OK);
    bytes = readFileSync(path);
  } catch {
    return 'is not readable by the user centinela runs as. Give that user read access';
  }
  return content(bytes);
}
