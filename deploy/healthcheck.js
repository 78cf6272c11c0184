// The image's HEALTHCHECK: asks /readyz where the daemon listens, exits 0 when it answers 200 and 1 otherwise.
// Where it listens (server.listen) is read from the daemon's own listening socket in /proc, not from a fixed port nor
// from a second reading of the config: the config on the volume may have changed since the daemon started (listen
// takes effect at the next start), may name port 0, or may be another folder given with --config.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const LISTEN = '0A'; // the TCP state in /proc/net/tcp{,6}

try {
  const address = listening();
  const res = await fetch(`http://${address}/readyz`, { signal: AbortSignal.timeout(4000) });
  if (!res.ok) throw new Error(`${address}/readyz answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  process.exit(0);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

/** host:port of the first TCP socket the daemon listens on; the daemon is PID 1 or a child of it (tini). */
function listening() {
  const pids = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && (pid === '1' || parentOf(pid) === '1'));
  for (const pid of pids) {
    const sockets = socketInodes(pid);
    if (sockets.size === 0) continue;
    for (const [file, family] of [
      ['tcp', 4],
      ['tcp6', 6],
    ]) {
      for (const line of readFileSync(`/proc/${pid}/net/${file}`, 'utf8').split('\n').slice(1)) {
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
        const fields = line.trim().split(/\s+/);
        if (fields[3] !== LISTEN || !sockets.has(fields[9])) continue;
        const [ip, port] = fields[1].split(':');
        return `${host(ip, family)}:${Number.parseInt(port, 16)}`;
      }
    }
  }
  throw new Error('the daemon listens on no TCP port (yet)');
}

function parentOf(pid) {
  try {
    // pid (comm) state ppid ...; comm may hold spaces and parentheses, so read after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
  } catch {
    return undefined; // it exited meanwhile
  }
}

function socketInodes(pid) {
  const inodes = new Set();
  let fds = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes; // exited, or not ours to read
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith('socket:[')) inodes.add(target.slice(8, -1));
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

// /proc/net/tcp writes an IPv4 address as one little-endian 32-bit word, an IPv6 one as four. Every interface
// (0.0.0.0 or ::) is asked on 127.0.0.1: Node listens dual-stack, and a container may have IPv6 off.
function host(hex, family) {
  if (/^0+$/.test(hex)) return '127.0.0.1';
  const words = hex.match(/.{8}/g).map((w) => w.match(/../g).reverse().join(''));
  if (family === 4)
    return words[0]
      .match(/../g)
      .map((b) => Number.parseInt(b, 16))
      .join('.');
  const groups = words.join('').match(/.{4}/g);
  return `[${groups.map((g) => g.replace(/^0+(?=.)/, '')).join(':')}]`;
}
