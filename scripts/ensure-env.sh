#!/usr/bin/env bash
# Brings a fresh machine of kind node-svc to a runnable state, idempotently:
# Bun (from the npm registry), dependencies, PostgreSQL and NATS running, roles, database, migrations.
# Sourced by scripts/quickstart.sh and .ci/run; safe to run any number of times.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUN_VERSION="1.4.5"
log() { printf '[ensure-env] %s\n' "$*"; }

if ! command -v bun >/dev/null 2>&1; then
  log "installing bun@${BUN_VERSION} from the npm registry"
  npm install -g "bun@${BUN_VERSION}" >/dev/null
fi
log "bun $(bun --version)"

bun install --frozen-lockfile >/dev/null
log "dependencies installed"

# The console's browser tests drive Debian's Chromium through playwright-core (no browser download).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing chromium (console browser tests)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium >/dev/null
  else
    log "chromium missing and not root: the console browser tests will fail (apt-get install chromium)"
  fi
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
  log "port $1 did not open"; return 1
}

if ! port_open 5432; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_port 5432
fi
if ! port_open 4222; then
  log "starting NATS with JetStream"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_port 4222
fi
log "PostgreSQL and NATS up"

bun run --silent semente db setup
bun run --silent semente db migrate
