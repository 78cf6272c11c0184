// Writes the ICU data folder `centinela run` gives node (--icu-data-dir, bin/centinela.js): the items of the ICU data
// built into this node binary that centinela's languages need, as files, with each tree's list of locales cut down to
// them. The first Intl.DateTimeFormat or Intl.PluralRules asks ICU which locales it has and opens each one's data:
// inside node's binary that reads pages of every locale (8.9 MiB of RSS for the first DateTimeFormat under the daemon's
// flags; docs/deploy.md "Memory and CPU"). ICU looks for an item in the data folder before its built-in copy, so with
// this folder it lists and opens the locales kept here only, and reads them from these files.
//
//   npx tsx scripts/icu-data.ts [--outdir dist/icu]     (npm run build writes it into dist/icu)
//
// What is written: dist/icu/<node's version>/icudt<N>l/… (N: ICU's major version), with
//   - every item of node's ICU data but the locale bundles of other languages (kept: root, es and en with their
//     regional variants), the character set converters (*.cnv, which node's TextDecoder does not load from here: it
//     decodes with its own code or ICU's algorithmic converters) and the word-break dictionaries (*.dict, for Thai,
//     Chinese, Japanese…);
//   - res_index.res of each tree (the locales ICU says it has) with the entries of the kept locales only.
// Intl then has es and en only (centinela writes in nothing else): a date asked for in French reads in English. An item
// left out is found in node's own copy when asked for (TextDecoder('shift_jis'), a Thai word break): it costs that
// memory then, and nothing else. The files are byte for byte node's own, and the folder is named after node's
// version, which bin/centinela.js checks: another node (an upgrade with newer time zone rules) never reads them.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist/icu' } } });

/** Kept locales: root and the catalogue's languages (src/locale), with every regional variant. */
const KEPT_LOCALE = /^(root|(es|en)(_\w+)?)$/;

/** The bytes of the symbol `name` (its value and size in the ELF symbol tables) in the ELF64 file `file`. */
function elfSymbol(file: Buffer, name: string): Buffer | undefined {
  if (file.readUInt32BE(0) !== 0x7f454c46 || file[4] !== 2 || file[5] !== 1) return undefined; // ELF64, little-endian
  const shoff = Number(file.readBigUInt64LE(0x28));
  const shentsize = file.readUInt16LE(0x3a);
  const shnum = file.readUInt16LE(0x3c);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      type: file.readUInt32LE(at + 4),
      addr: Number(file.readBigUInt64LE(at + 0x10)),
      offset: Number(file.readBigUInt64LE(at + 0x18)),
      size: Number(file.readBigUInt64LE(at + 0x20)),
      link: file.readUInt32LE(at + 0x28),
    };
  };
  const sections = Array.from({ length: shnum }, (_, i) => section(i));
  const wanted = Buffer.from(`${name}\0`);
  for (const table of sections.filter((s) => s.type === 2 || s.type === 11)) {
    const strings = sections[table.link];
    if (!strings) continue;
    for (let at = table.offset; at < table.offset + table.size; at += 24) {
      const nameAt = strings.offset + file.readUInt32LE(at);
      if (!file.subarray(nameAt, nameAt + wanted.length).equals(wanted)) continue;
      const value = Number(file.readBigUInt64LE(at + 8));
      const size = Number(file.readBigUInt64LE(at + 16));
      const home = sections.find((s) => s.addr <= value && value + size <= s.addr + s.size && s.type !== 8);
      if (!home) return undefined;
      const offset = home.offset + (value - home.addr);
      return file.subarray(offset, offset + size);
    }
  }
  return undefined;
}

/** The items of an ICU common data package ("CmnD": a table of contents of names and offsets), by name. */
function items(data: Buffer): Map<string, Buffer> {
  const headerSize = data.readUInt16LE(0);
  if (data[2] !== 0xda || data[3] !== 0x27 || data[8] !== 0 || data.toString('latin1', 12, 16) !== 'CmnD') {
    throw new Error('the data is not a little-endian ICU common data package');
  }
  const count = data.readUInt32LE(headerSize);
  const toc = Array.from({ length: count }, (_, i) => {
    const at = headerSize + 4 + i * 8;
    const nameAt = headerSize + data.readUInt32LE(at);
    return {
      name: data.toString('latin1', nameAt, data.indexOf(0, nameAt)),
      at: headerSize + data.readUInt32LE(at + 4),
    };
  }).sort((a, b) => a.at - b.at);
  return new Map(toc.map(({ name, at }, i) => [name, data.subarray(at, toc[i + 1]?.at ?? data.length)]));
}

/**
 * res_index.res (a resource bundle, format version 2 or 3) with the entries of its InstalledLocales and AliasLocales
 * tables cut down to the locales `keep` takes. Each table is rewritten in place, shorter: its count, then the kept
 * keys and values, each as it was; the rest of the bundle (keys, strings, other entries) is left as it is.
 */
function cutIndex(bundle: Buffer, keep: (locale: string) => boolean, name: string): Buffer {
  const out = Buffer.from(bundle);
  const headerSize = out.readUInt16LE(0);
  if (out.toString('latin1', 12, 16) !== 'ResB' || out[8] !== 0 || (out[16] ?? 0) < 2) {
    throw new Error(`${name}: not a little-endian resource bundle of format version 2 or later`);
  }
  const data = headerSize;
  const keysTop = out.readUInt32LE(data + 8); // indexes[URES_INDEX_KEYS_TOP], in 32-bit units from the root
  // indexes[URES_INDEX_ATTRIBUTES]: a bundle whose keys lie in a pool bundle (a locale's) is not an index
  if ((out.readUInt32LE(data + 4) & 0xff) > 5 && (out.readUInt32LE(data + 24) & 2) !== 0) {
    throw new Error(`${name}: its keys are in a pool bundle`);
  }
  const units16 = data + keysTop * 4;
  const key = (offset: number) => out.toString('latin1', data + offset, out.indexOf(0, data + offset));
  const root = out.readUInt32LE(data);
  if (root >>> 28 !== 2) throw new Error(`${name}: its root is not a table`);
  const rootAt = data + (root & 0x0fffffff) * 4;
  const entries = out.readUInt16LE(rootAt);
  const valuesAt = rootAt + 2 + entries * 2 + ((entries & 1) === 0 ? 2 : 0);
  for (let i = 0; i < entries; i++) {
    const table = key(out.readUInt16LE(rootAt + 2 + i * 2));
    if (table !== 'InstalledLocales' && table !== 'AliasLocales') continue;
    const value = out.readUInt32LE(valuesAt + i * 4);
    if ((value & 0x0fffffff) === 0) continue; // an empty table
    if (value >>> 28 !== 5) throw new Error(`${name}: ${table} is not a table of 16-bit entries`);
    const at = units16 + (value & 0x0fffffff) * 2;
    const count = out.readUInt16LE(at);
    const kept: [number, number][] = [];
    for (let j = 0; j < count; j++) {
      const keyOffset = out.readUInt16LE(at + 2 + j * 2);
      if (keep(key(keyOffset))) kept.push([keyOffset, out.readUInt16LE(at + 2 + count * 2 + j * 2)]);
    }
    out.writeUInt16LE(kept.length, at);
    for (const [j, [keyOffset, entry]] of kept.entries()) {
      out.writeUInt16LE(keyOffset, at + 2 + j * 2);
      out.writeUInt16LE(entry, at + 2 + kept.length * 2 + j * 2);
    }
  }
  return out;
}

const major = process.versions.icu?.split('.')[0];
const data = major ? elfSymbol(readFileSync(process.execPath), `icudt${major}_dat`) : undefined;
const outdir = join(values.outdir, process.version);
rmSync(values.outdir, { recursive: true, force: true });
if (!data) {
  // A node linked to the system's ICU, or built without Intl: it has no data of its own to cut down.
  console.log(`icu-data: ${process.execPath} holds no ICU data of its own; nothing written`);
} else {
  let written = 0;
  for (const [item, bytes] of items(data)) {
    const [, path = item] = /^icudt\d+[lb]\/(.*)$/.exec(item) ?? [];
    const base = path.slice(path.lastIndexOf('/') + 1);
    const locale = base === 'res_index.res' ? undefined : /^([a-z]{2,3}(_\w+)?)\.res$/.exec(base)?.[1];
    if ((locale && !KEPT_LOCALE.test(locale)) || base.endsWith('.cnv') || base.endsWith('.dict')) continue;
    const file = join(outdir, item);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, base === 'res_index.res' ? cutIndex(bytes, (l) => KEPT_LOCALE.test(l), item) : bytes);
    written++;
  }
  console.log(`icu-data: ${written} items of ICU ${process.versions.icu}'s data written to ${outdir}`);
}
