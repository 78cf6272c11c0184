// Lines of Caddy's JSON access log, as tests and benches feed them to the caddy_access_log probe.

/** One access record as Caddy 2.7 writes it with `log { format json }` (headers trimmed). */
export function caddyLine(ip: string, status: number, uri = '/api/v1/auth/login'): string {
  return JSON.stringify({
    level: 'info',
    ts: 1764849600.123,
    logger: 'http.log.access.log0',
    msg: 'handled request',
    request: {
      remote_ip: '172.18.0.1',
      remote_port: '51234',
      client_ip: ip,
      proto: 'HTTP/1.1',
      method: 'POST',
      host: 'api.grupogad.gob.ec',
      uri,
      headers: {},
    },
    bytes_read: 0,
    user_id: '',
    duration: 0.0012,
    size: 12,
    status,
    resp_headers: {},
  });
}
