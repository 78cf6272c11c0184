// Hides the secrets of a probe's config in the text of a message (a reason, a detail, a log line), in every form a
// library or a server may print them: whole, as a URL's password or token, percent-encoded or decoded.
import type { ProbeConfig } from '../config/probes.js';
import { redactUrl, Secret } from '../config/secret.js';

/** Below this length a secret is hidden only where it stands as a whole token (see scrubberOf). */
const SHORT_SECRET = 4;

/** A function that replaces every secret of `config` in a text with `<secret>`. */
export function secretScrubber(config: ProbeConfig): (text: string) => string {
  return scrubberOf(secretsOf(config));
}

/**
 * Every string a secret of `config` could show up as in a message: the whole value, and for a URL its redacted
 * parts (password, token-like user, key-like query values) as redactUrl hides them.
 */
function secretsOf(config: ProbeConfig): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (value instanceof Secret) {
      const raw = value.reveal();
      found.push(raw);
      if (URL.canParse(raw) && redactUrl(raw) !== raw) {
        const url = new URL(raw);
        const redacted = new URL(redactUrl(raw));
        if (url.password) found.push(url.password, decodeURIComponent(url.password));
        if (redacted.username !== url.username) found.push(url.username, decodeURIComponent(url.username));
        for (const [key, v] of url.searchParams) if (redacted.searchParams.get(key) !== v) found.push(v);
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value && typeof value === 'object') {
      Object.values(value).forEach(visit);
    }
  };
  visit(config);
  // Longest first, so a URL is replaced whole before its password.
  return [...new Set(found)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/**
 * A function that replaces every secret in a text with `<secret>`. A secret of SHORT_SECRET characters or more is
 * replaced wherever it appears. A shorter one (a 3-character header token) is replaced only where no letter, digit
 * or `_` touches it: replaced everywhere it would mangle ordinary words ("ops" in "stops"), and a value that short
 * shows up in a message as a token of its own, if at all.
 */
function scrubberOf(secrets: readonly string[]): (text: string) => string {
  const steps = secrets.map((secret) => {
    if (secret.length >= SHORT_SECRET) return (text: string) => text.split(secret).join('<secret>');
    const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const token = new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'gu');
    return (text: string) => text.replace(token, '<secret>');
  });
  return (text) => steps.reduce((out, step) => step(out), text);
}
