// The push check: a job (the weekly backup, a second centinela) pings POST /api/v1/heartbeats/<name>, the state store
// keeps the pings, and each run of this probe reads them. Silence is measured, never assumed: before the first ping
// the clock counts from when centinela first saw the probe, so a job that never ran is overdue too.
import { formatDuration } from '../duration.js';
import { defineProbe, sample } from './probe.js';

export default defineProbe({
  kind: 'heartbeat',
  create(config, { heartbeats, clock }) {
    // A one-off `centinela probe` has no daemon and no pings: say so rather than measure nothing.
    if (!heartbeats) throw new Error('its pings are kept by the running daemon; see them in `centinela run`');
    // Seen from the moment the daemon has it, not from its first (phased) run.
    heartbeats(config.name, clock.now());
    const deadlineMs = config.expect_every + config.grace;
    return {
      run: async ({ clock }) => {
        const now = clock.now();
        const record = heartbeats(config.name, now);
        const lastOk = record.lastOkAt ?? record.firstSeenAt;
        const silentMs = Math.max(0, now - lastOk);
        const samples = [
          sample('seconds_since_ping', silentMs / 1000),
          sample('failed', record.failed ? 1 : 0),
          sample('overdue', silentMs > deadlineMs ? 1 : 0),
        ];
        const since =
          record.lastOkAt === undefined
            ? `no ping yet in the ${formatDuration(silentMs)} since centinela first saw this heartbeat`
            : `last ping ${formatDuration(silentMs)} ago`;
        const failed = record.failed ? `; the last ping was a failure: ${record.detail ?? '(no detail sent)'}` : '';
        return {
          up: true,
          samples,
          detail: `${since} (expected every ${formatDuration(config.expect_every)} + ${formatDuration(config.grace)} grace)${failed}`,
        };
      },
    };
  },
});
