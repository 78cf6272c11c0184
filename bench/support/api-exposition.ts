// An API-like Prometheus exposition of any size for the benches: 4 histograms, 40 counters and 40 gauges with
// distinct series, 100 series per `perFamily` (1,000 → 100,000 series, about 10 MB), written family by family.

const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = ['200', '201', '404', '500', '503'];

/**
 * Hands the exposition to `write` one family at a time (so a caller writing to a file never holds the body) and
 * returns its series count.
 */
export function writeApiExposition(write: (text: string) => void, perFamily: number): number {
  let series = 0;
  const family = (lines: string[]) => write(`${lines.join('\n')}\n`);
  for (let f = 0; f < 4; f++) {
    const name = `http_request_duration_seconds_${f}`;
    const lines = [`# HELP ${name} Request latency.`, `# TYPE ${name} histogram`];
    for (let s = 0; s < perFamily; s++) {
      const labels = `app="api",handler="/api/v1/resources/item_${s}",method="${METHODS[s % 4]}"`;
      let count = 0;
      for (const le of BUCKETS) {
        count += (s * 7 + le.length) % 13;
        lines.push(`${name}_bucket{${labels},le="${le}"} ${count}`);
      }
      lines.push(`${name}_sum{${labels}} ${(count * 0.137).toFixed(3)}`, `${name}_count{${labels}} ${count}`);
      series += BUCKETS.length + 2;
    }
    family(lines);
  }
  for (let f = 0; f < 40; f++) {
    const name = `http_requests_${f}_total`;
    const lines = [`# HELP ${name} Requests served.`, `# TYPE ${name} counter`];
    for (let s = 0; s < perFamily; s++) {
      lines.push(
        `${name}{handler="/api/v1/resources/item_${s}",method="GET",status="${STATUSES[s % 5]}"} ${s * 31 + f}`,
      );
      series++;
    }
    family(lines);
  }
  for (let f = 0; f < 40; f++) {
    const name = `process_pool_connections_${f}`;
    const lines = [`# TYPE ${name} gauge`];
    for (let s = 0; s < perFamily / 10; s++) {
      lines.push(`${name}{pool="pool_${s}",state="idle"} ${s % 17}`);
      series++;
    }
    family(lines);
  }
  return series;
}
