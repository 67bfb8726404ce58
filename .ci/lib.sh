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
