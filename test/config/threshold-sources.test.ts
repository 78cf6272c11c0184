// Issue 15 item 6: every shipped threshold says where it comes from, and centinela's own choices are listed in
// docs/configuration.md for the team to sign off.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

/** Each rule of config/alerts.yaml with the comment lines directly above its `- name:`, joined. */
function rulesWithComments(): { name: string; comment: string }[] {
  const lines = readFileSync('config/alerts.yaml', 'utf8').split('\n');
  const start = lines.indexOf('rules:');
  const end = lines.findIndex((l, i) => i > start && /^[a-z_]+:/.test(l));
  const out: { name: string; comment: string }[] = [];
  for (let i = start + 1; i < end; i++) {
    const name = /^ {2}- name: (\w+)$/.exec(lines[i] as string)?.[1];
    if (!name) continue;
    const comment: string[] = [];
    for (let j = i - 1; j > start && (lines[j] as string).trimStart().startsWith('#'); j--)
      comment.unshift(lines[j] as string);
    out.push({ name, comment: comment.join(' ') });
  }
  return out;
}

it('says above every shipped rule whether its thresholds are the runbook’s or centinela’s', () => {
  const rules = rulesWithComments();
  expect(rules.length).toBeGreaterThan(40);
  expect(rules.filter((r) => !/\b(runbook|centinela):/.test(r.comment)).map((r) => r.name)).toEqual([]);
});

it('lists every choice of centinela’s in the sign-off table of docs/configuration.md', () => {
  const doc = readFileSync('docs/configuration.md', 'utf8');
  const section = doc.slice(doc.indexOf('### Thresholds to sign off'));
  const table = section.slice(0, section.indexOf('\n### ', 1));
  const listed = new Set([...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]));
  const chosen = rulesWithComments().filter((r) => r.comment.includes('centinela:'));
  expect(chosen.filter((r) => !listed.has(r.name)).map((r) => r.name)).toEqual([]);
  const names = new Set(chosen.map((r) => r.name));
  expect([...listed].filter((n) => !names.has(n as string))).toEqual([]);
});
