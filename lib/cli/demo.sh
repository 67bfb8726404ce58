#!/usr/bin/env bash
# `npm run demo`: the console's production build on the embedded database (PGlite, folder
# .data/pglite), with demo users and demo legacy data seeded at first start. Installs the
# dependencies on a fresh clone; builds once, and again only when the sources changed since the
# last build (a hash of the source tree, lib/cli/source-stamp.ts, kept beside the build's BUILD_ID).
set -euo pipefail
cd "$(dirname "$0")/../.."
# A console that reads a lender's payments sends nothing anywhere.
export NEXT_TELEMETRY_DISABLED=1
[ -d node_modules ] || npm ci --no-audit --no-fund
unset DATABASE_URL ADMIN_EMAIL ADMIN_PASSWORD
export PORT="${PORT:-3000}"
export NEXTAUTH_URL="${NEXTAUTH_URL:-http://localhost:${PORT}}"

# The stamp names the sources and the build made of them: a `next build` run for other reasons
# (npm test, e2e) has another BUILD_ID, so the demo builds its own again.
stamp_file=.next/demo-source-stamp
sources="$(./node_modules/.bin/tsx lib/cli/source-stamp.ts)"
if [ -f .next/BUILD_ID ] && [ "$(cat "$stamp_file" 2>/dev/null || true)" = "$sources $(cat .next/BUILD_ID)" ]; then
  echo "demo: the production build in .next is of these sources"
else
  echo "demo: building the console (next build: a few minutes the first time, then only after a source change)"
  rm -f "$stamp_file"
  ./node_modules/.bin/next build
  # The sources hashed before the build: an edit made during it triggers the next one.
  echo "$sources $(cat .next/BUILD_ID)" >"$stamp_file"
fi
echo "prestamos-console demo on ${NEXTAUTH_URL} — sign in as admin@demo.local / demo-admin-pass (or reviewer@demo.local / demo-reviewer-pass)"
exec env NEXT_MANUAL_SIG_HANDLE=1 ./node_modules/.bin/next start --port "$PORT"
