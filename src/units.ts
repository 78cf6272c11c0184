// How numbers with units read for people, in templates, pages and command output: 0.63, 7 min, 1.5 GiB.

/** Two significant digits below 10, whole numbers above: 0.634 → 0.63, 1.25 → 1.3, 92.4 → 92, 1234 → 1234. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 10 || Number.isInteger(n)) return String(Math.round(n));
  return String(Number(n.toPrecision(2)));
}

/** Seconds as people say them: `45 s`, `7 min`, `2 h 5 min`, `3 d 4 h`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const s = Math.round(Math.abs(seconds));
  const sign = seconds < 0 ? '-' : '';
  if (s < 60) return Math.abs(seconds) < 10 ? `${sign}${formatNumber(Math.abs(seconds))} s` : `${sign}${s} s`;
  if (s < 3_600) return `${sign}${Math.round(s / 60)} min`;
  const minutes = Math.round(s / 60);
  if (minutes < 24 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m === 0 ? `${sign}${h} h` : `${sign}${h} h ${m} min`;
  }
  const hours = Math.round(s / 3_600);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return h === 0 ? `${sign}${d} d` : `${sign}${d} d ${h} h`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes in binary units: `900 B`, `12 KiB`, `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  let n = Math.abs(bytes);
  let unit = 0;
  while (n >= 1024 && unit < BYTE_UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${bytes < 0 ? '-' : ''}${formatNumber(n)} ${BYTE_UNITS[unit]}`;
}

/** `2026-01-01 10:00 UTC`: an instant as people read it in a page. */
export function formatTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, ' UTC');
}
