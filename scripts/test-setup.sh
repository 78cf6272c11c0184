#!/usr/bin/env bash
# What `npm test` needs beyond node_modules, made ready before the tests run (package.json "pretest", so `npm test`
# sets itself up, and .ci/run calls nothing else): Debian's packages the tests run (dockerd, busybox, Chromium,
# promtool, amtool, the blackbox exporter, Python's prometheus_client, debootstrap), PostgreSQL and Redis answering,
# and the cached base images the production image is built from. With everything there it takes about a second. What
# is missing and cannot be installed or started here stops it at once with what to do; no test is ever skipped for it.
#
#   PGHOST, PGPORT   the PostgreSQL the tests use (default 127.0.0.1:5432, trust auth for user postgres)
#   REDIS_URL        the Redis the tests use (default redis://127.0.0.1:6379)
set -euo pipefail
cd "$(dirname "$0")/.."
# dockerd, debootstrap and pg_ctlcluster's helpers live in /usr/sbin, which a non-login shell's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
say() { echo "test-setup: $*" >&2; }
fail() {
  say "$*"
  exit 1
}

# The docker tests start their own dockerd, and debootstrap makes the base images: both need root.
[ "$(id -u)" -eq 0 ] || fail "the tests start their own Docker engine, which needs root: run sudo npm test"

# Waits up to 30 s for a command to succeed.
wait_for() {
  local what=$1
  shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  fail "$what did not come up within 30 s"
}

# Debian packages, by what tells that each is there: dockerd (docker.io) for the docker probe and image tests,
# busybox-static (a dynamically linked busybox cannot run in the test image), chromium for the status page,
# promtool and prometheus itself (prometheus: test/e2e/prometheus-source.test.ts) for /metrics and the Alertmanager API, python3-prometheus-client for real expositions, debootstrap for the base images;
# amtool and the blackbox exporter check the configuration bench/faults.ts gives its Prometheus and Alertmanager.
missing=()
for pair in dockerd:docker.io chromium:chromium promtool:prometheus debootstrap:debootstrap amtool:prometheus-alertmanager \
  prometheus-blackbox-exporter:prometheus-blackbox-exporter; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
for package in busybox-static python3-prometheus-client; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || fail "missing ${missing[*]}, and this is not a Debian machine with apt-get"
  say "installing ${missing[*]} from Debian"
  flock /tmp/apt.lock apt-get update -qq
  flock /tmp/apt.lock env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

pg_host=${PGHOST:-127.0.0.1}
pg_port=${PGPORT:-5432}
command -v pg_isready >/dev/null || fail "pg_isready is missing: apt-get install -y postgresql-15"
if ! pg_isready -q -h "$pg_host" -p "$pg_port"; then
  [ "$pg_host:$pg_port" = 127.0.0.1:5432 ] ||
    fail "PostgreSQL does not answer at PGHOST:PGPORT; start it, or unset them to use the one on 127.0.0.1:5432"
  command -v pg_ctlcluster >/dev/null ||
    fail "PostgreSQL does not answer on $pg_host:$pg_port and is not installed here (set PGHOST/PGPORT, or install postgresql-15 with trust auth for user postgres on 127.0.0.1)"
  say "starting PostgreSQL 15"
  pg_ctlcluster --skip-systemctl-redirect 15 main start
  wait_for "PostgreSQL on $pg_host:$pg_port" pg_isready -h "$pg_host" -p "$pg_port"
fi
# pg_isready does not log in: a server with password auth on 127.0.0.1 (Debian's default) would fail dozens of test
# files minutes later with auth errors. Say it now.
psql -h "$pg_host" -p "$pg_port" -U postgres -w -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1 ||
  fail "PostgreSQL on $pg_host:$pg_port does not let user postgres in without a password: the tests need trust auth for it (a 'host all all 127.0.0.1/32 trust' line in pg_hba.conf, then reload)"

redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
command -v redis-cli >/dev/null || fail "redis-cli is missing: apt-get install -y redis-server"
if ! redis-cli -u "$redis_url" ping >/dev/null 2>&1; then
  [ "$redis_url" = redis://127.0.0.1:6379 ] ||
    fail "Redis does not answer at REDIS_URL; start it, or unset REDIS_URL to use one started here on 127.0.0.1:6379"
  command -v redis-server >/dev/null || fail "Redis does not answer on 127.0.0.1:6379: apt-get install -y redis-server"
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_for "Redis on 127.0.0.1:6379" redis-cli -u "$redis_url" ping
fi

# The image test builds the Dockerfile FROM these; made once (a minute or two), then taken from the cache.
scripts/base-images.sh
