// The message catalogue: every key in every language, with the same placeholders, and nothing left blank.
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/locale/catalogue.js';
import { LOCALES } from '../../src/locale/locale.js';

/** The names a text fills in, each once: `{count}` and the number a `{count:one|other}` agrees with. */
const placeholders = (text: string) =>
  [...new Set([...text.matchAll(/\{(\w+)(?::[^{}]*)?\}/g)].map((m) => m[1]))].sort();

describe('the message catalogue', () => {
  const reference = Object.keys(CATALOGUE.en).sort();

  it('has a catalogue for each locale of centinela.yaml and no other', () => {
    expect(Object.keys(CATALOGUE).sort()).toEqual([...LOCALES].sort());
  });

  it.each(LOCALES)('has every key in %s, and no key English lacks', (locale) => {
    expect(Object.keys(CATALOGUE[locale]).sort()).toEqual(reference);
  });

  it.each(LOCALES)('uses in %s the placeholders of the English text, each text non-empty', (locale) => {
    const table = CATALOGUE[locale] as Record<string, string>;
    const wrong = reference.filter(
      (key) =>
        !table[key]?.trim() ||
        placeholders(table[key] ?? '').join() !== placeholders(CATALOGUE.en[key as keyof typeof CATALOGUE.en]).join(),
    );
    expect(wrong).toEqual([]);
  });

  it.each(LOCALES)('writes each agreement in %s as {name:one|other}, nothing else in braces', (locale) => {
    const texts = Object.entries(CATALOGUE[locale] as Record<string, string>);
    const malformed = texts.filter(([, text]) =>
      [...text.matchAll(/\{[^{}]*\}/g)].some((m) => !/^\{\w+(?::[^{}|]*\|[^{}|]*)?\}$/.test(m[0])),
    );
    expect(malformed.map(([key]) => key)).toEqual([]);
  });

  it('leaves no Spanish message as its English text', () => {
    const same = reference.filter(
      (key) => (CATALOGUE.es as Record<string, string>)[key] === (CATALOGUE.en as Record<string, string>)[key],
    );
    expect(same).toEqual([]);
  });
});
