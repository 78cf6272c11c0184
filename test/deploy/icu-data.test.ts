// scripts/icu-data.ts: the ICU data folder `centinela run` gives node (bin/centinela.js) keeps what centinela reads
// (es and en, every time zone) exactly as node's own data gives it, and ICU reads it from the folder.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

let out: string;
let icu: string;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'centinela-icu-'));
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/icu-data.ts', '--outdir', out]);
  icu = join(out, process.version);
});

afterAll(() => rmSync(out, { recursive: true, force: true }));

// What centinela's pages and schedules read from ICU, through src/locale and src/cron, at instants either side of
// daylight saving changes; then which locales Intl says it has, and whether ICU mapped the folder's files.
const READ = `
  import { readFileSync } from 'node:fs';
  import { localTime, plural, validTimeZone } from './src/locale/locale.ts';
  import { CronSchedule } from './src/cron.ts';
  const instants = [0, 1_711_846_800_000, 1_729_990_800_000, 1_764_900_000_000];
  const zones = ['UTC', 'America/Guayaquil', 'Europe/Madrid', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
  console.log(JSON.stringify({
    times: zones.flatMap((zone) => instants.map((ms) => localTime(ms, zone))),
    cron: new CronSchedule('0 3 * * 0', 'Europe/Madrid').next(1_711_846_800_000),
    plurals: ['es', 'en'].flatMap((l) => [0, 1, 2, 1.5, 1_000_000].map((n) => plural(l, n, 'one', 'other'))),
    zones: [validTimeZone('America/Guayaquil'), validTimeZone('Mars/Olympus'), Intl.supportedValuesOf('timeZone').length],
    locales: Intl.DateTimeFormat.supportedLocalesOf(['es-EC', 'en-GB', 'fr', 'ja']),
    mapped: readFileSync('/proc/self/maps', 'utf8').includes('/icudt'),
  }));`;

const read = (env: Record<string, string>) =>
  JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', READ], {
      env: { ...process.env, ...env },
    }).toString(),
  );

it('writes the folder for this node, named after its version, with the index of each tree', () => {
  for (const tree of ['', 'zone', 'curr', 'lang', 'region', 'unit', 'coll', 'brkitr', 'rbnf']) {
    expect(existsSync(join(icu, `icudt${process.versions.icu?.split('.')[0]}l`, tree, 'res_index.res'))).toBe(true);
  }
});

it("gives the daemon's times, plurals and time zones as node's own data does, from the folder, with es and en only", () => {
  const own = read({});
  const cut = read({ NODE_ICU_DATA: icu });
  expect(cut.times).toEqual(own.times);
  expect(cut.times).toContain('2025-12-04 21:00:00 (UTC\u221205:00)');
  expect(cut.cron).toEqual(own.cron);
  expect(cut.plurals).toEqual(own.plurals);
  expect(cut.zones).toEqual(own.zones);
  expect(own.locales).toEqual(['es-EC', 'en-GB', 'fr', 'ja']);
  expect(cut.locales).toEqual(['es-EC', 'en-GB']);
  expect(own.mapped).toBe(false);
  expect(cut.mapped).toBe(true);
});
