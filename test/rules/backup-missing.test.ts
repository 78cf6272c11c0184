// BackupMissing across restarts, with the backup file present (issue 11, item 4): the real disk probe over a temp
// backups folder feeds the shipped rules through the engine; a restart reopens the store under a new engine and
// starts a new probe, as a restarted daemon does.
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RulesHarness } from '../support/rules.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'centinela-backup-missing-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('BackupMissing with the backup file present', () => {
  it('never fires across restarts, even when the first run after one finds the backups volume not yet mounted', async () => {
    // backups/ points at a volume; renaming the volume away is a volume that is not mounted (yet).
    const volume = join(dir, 'volume');
    const backups = join(dir, 'backups');
    await mkdir(volume);
    await writeFile(join(volume, 'pre_deploy_20260105_093000.sql.gz'), Buffer.alloc(4096));
    await symlink(volume, backups);
    // The disk probe as shipped, pointed at the test's folder.
    const glob = join(backups, '*.sql.gz');
    const where = { paths: [dir], directories: [], backups: [{ glob, name: 'database' }] };
    const h = await RulesHarness.shipped();
    const neverBreached = () => expect(h.alert('BackupMissing', { backup: 'database' })).toBeUndefined();
    try {
      let disk = h.probe('disk', where);
      expect((await disk.run()).samples).toContainEqual({
        name: 'disk.backup_files',
        labels: { backup: 'database' },
        value: 1,
      });
      neverBreached();

      // Three plain restarts: the first run of each counts the file.
      for (let start = 0; start < 3; start++) {
        await h.advance(60_000);
        h.restart();
        disk = h.probe('disk', where);
        await disk.run();
        neverBreached();
      }

      // A fourth start before the backups volume is mounted: the folder cannot be listed, which is not "no backups".
      await h.advance(60_000);
      h.restart();
      disk = h.probe('disk', where);
      await rename(volume, `${volume}.unmounted`);
      const unmounted = await disk.run();
      neverBreached();
      // The shipped glob is ${BACKUPS_DIR:-…}/*.sql.gz: the reason names it by key, not by the folder it came to.
      expect(unmounted.result).toMatchObject({
        up: true,
        cannotMeasure:
          '<backups[0].glob from ${BACKUPS_DIR}>: <the folder of backups[0].glob from ${BACKUPS_DIR}> does not exist',
      });
      expect(h.state('CannotMeasure', { probe: 'disk' })).toBe('firing');

      await rename(`${volume}.unmounted`, volume);
      await h.advance(5 * 60_000);
      await disk.run();
      neverBreached();
      expect(h.state('CannotMeasure', { probe: 'disk' })).toBe('resolved');
    } finally {
      h.close();
    }
  });
});
