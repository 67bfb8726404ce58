#!/usr/bin/env bash
# The e2e web server: `next start` of the production build on $PORT with its own embedded
# database folder .data/e2e-<pid> (wiped first), never the developer's .data/pglite nor a
# DATABASE_URL from the shell. Demo users and demo data are seeded by start-up (embedded mode).
set -euo pipefail
cd "$(dirname "$0")/.."
# A console that reads a lender's payments sends nothing anywhere.
export NEXT_TELEMETRY_DISABLED=1
if [ ! -f .next/BUILD_ID ]; then
  echo "e2e: no production build in .next: run \`npx next build\` first (npm test does)" >&2
  exit 1
fi
mkdir -p .data
# Folders of earlier runs whose server is gone (the pid in the name is dead).
for d in .data/e2e-*; do
  [ -d "$d" ] || continue
  pid="${d##*-}"
  kill -0 "$pid" 2>/dev/null || rm -rf "$d" "$d.lock"
done
dir=".data/e2e-$$"
rm -rf "$dir" "$dir.lock"
unset DATABASE_URL ADMIN_EMAIL ADMIN_PASSWORD DEMO_DATA
export PGLITE_DATA_DIR="$dir"
export NEXT_MANUAL_SIG_HANDLE=1
# Everything the server prints also goes to .data/e2e-server-$PORT.log (truncated per run), which
# e2e/api/security.spec.ts searches for secrets (issue 6).
log=".data/e2e-server-${PORT:-3100}.log"
: > "$log"
exec > >(tee -a "$log") 2>&1
# exec: the folder's pid is the server's, and Playwright's SIGTERM reaches next directly.
# Idle connections stay open 75 s instead of Node's 5: a test's request sent on a kept-alive
# socket just as the server closed it failed with ECONNRESET (seen once in CI, under load).
exec ./node_modules/.bin/next start --port "${PORT:-3100}" --keepAliveTimeout 75000
