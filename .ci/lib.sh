# Shared by .ci/run and .ci/test: the services the tests need, started when they are down.
# Sourced, not run.

ensure_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return 0; fi
  echo "PostgreSQL is down: starting it"
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 60); do
    pg_isready -h 127.0.0.1 -p 5432 -q && return 0
    sleep 1
  done
  echo "PostgreSQL did not become ready within 60 s" >&2
  return 1
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  echo "Chromium is missing: installing Debian's"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
}

# A streaming standby of the local PostgreSQL on 127.0.0.1:5433, for the throttle's standby-lag
# tests (MIGRATION-SPEC §8): its own data folder and configuration, started as the postgres user.
STANDBY_PORT=5433
STANDBY_DIR=/var/lib/postgresql/standby-5433
standby_streaming() {
  local n
  for _ in $(seq 1 30); do
    n="$(psql -h 127.0.0.1 -U postgres -Atc "select count(*) from pg_stat_replication where state = 'streaming'" 2>/dev/null || echo 0)"
    [ "${n:-0}" -gt 0 ] && return 0
    sleep 1
  done
  return 1
}
# A standby left stopped may have fallen behind WAL the primary has recycled since (no slot keeps
# it): one that does not stream within 30 s is taken again from a fresh base backup.
ensure_standby() {
  ensure_standby_once && standby_streaming && return 0
  echo "The standby does not stream: taking it again"
  [ -f "$STANDBY_DIR/postmaster.pid" ] && su postgres -c "/usr/lib/postgresql/$(ls /etc/postgresql | sort -V | tail -n 1)/bin/pg_ctl -D '$STANDBY_DIR' -m fast -w stop" >/dev/null 2>&1
  rm -rf "$STANDBY_DIR"
  ensure_standby_once && standby_streaming
}
ensure_standby_once() {
  if pg_isready -h 127.0.0.1 -p "$STANDBY_PORT" -q 2>/dev/null; then return 0; fi
  local version bin hba
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  bin="/usr/lib/postgresql/${version}/bin"
  hba="$(psql -h 127.0.0.1 -U postgres -Atc 'show hba_file')" || return 1
  if ! grep -qE '^host[[:space:]]+replication[[:space:]]+postgres[[:space:]]+127\.0\.0\.1/32' "$hba"; then
    echo "host replication postgres 127.0.0.1/32 trust" >>"$hba"
    psql -h 127.0.0.1 -U postgres -Atqc 'select pg_reload_conf()' >/dev/null || return 1
  fi
  if [ ! -f "$STANDBY_DIR/standby.signal" ]; then
    echo "Standby is missing: taking a base backup into $STANDBY_DIR"
    rm -rf "$STANDBY_DIR"
    install -d -o postgres -g postgres -m 700 "$STANDBY_DIR"
    su postgres -c "${bin}/pg_basebackup -h 127.0.0.1 -p 5432 -U postgres -D '$STANDBY_DIR' -R -c fast -X stream" || return 1
    # Debian keeps the primary's configuration in /etc: the standby gets a minimal one of its own
    # (a hot standby needs at least the primary's connection and worker limits).
    local limits
    limits="$(psql -h 127.0.0.1 -U postgres -Atc "select string_agg(name || ' = ' || setting, E'\\n') from pg_settings
      where name in ('max_connections','max_worker_processes','max_wal_senders','max_prepared_transactions','max_locks_per_transaction')")" || return 1
    cat >"$STANDBY_DIR/postgresql.conf" <<CONF
port = ${STANDBY_PORT}
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
shared_buffers = 32MB
${limits}
include_if_exists = 'postgresql.auto.conf'
CONF
    cat >"$STANDBY_DIR/pg_hba.conf" <<CONF
local all all trust
host all all 127.0.0.1/32 trust
CONF
    : >"$STANDBY_DIR/pg_ident.conf"
    chown postgres:postgres "$STANDBY_DIR/postgresql.conf" "$STANDBY_DIR/pg_hba.conf" "$STANDBY_DIR/pg_ident.conf"
  fi
  su postgres -c "${bin}/pg_ctl -D '$STANDBY_DIR' -l '$STANDBY_DIR/standby.log' -w -t 60 start" >/dev/null || return 1
  pg_isready -h 127.0.0.1 -p "$STANDBY_PORT" -q
}

# promtool lints what /api/metrics/prometheus serves (app/api/metrics/prometheus/route.int.test.ts).
# Debian ships it in the prometheus package, whose install would also enable and start a Prometheus
# server: a policy-rc.d refusing every service start is in place for the install (Docker images
# have one; a plain machine gets a temporary one), and a server that runs anyway is stopped.
ensure_promtool() {
  if [ -x /usr/bin/promtool ]; then return 0; fi
  echo "promtool is missing: installing Debian's prometheus package (no server started)"
  export DEBIAN_FRONTEND=noninteractive
  local own_policy=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null || rc=$?
  [ "$own_policy" -eq 0 ] || rm -f /usr/sbin/policy-rc.d
  # Under systemd the unit is enabled by the package: the tests need the binary, not the server.
  if [ -d /run/systemd/system ]; then systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
  if service prometheus status >/dev/null 2>&1; then service prometheus stop >/dev/null 2>&1 || true; fi
  return "$rc"
}
