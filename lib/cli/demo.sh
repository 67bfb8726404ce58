#!/usr/bin/env bash
# `npm run demo`: the console on the embedded database (PGlite, folder .data/pglite), with demo
# users and demo legacy data seeded at first start. Installs the dependencies on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d node_modules ] || npm ci --no-audit --no-fund
unset DATABASE_URL ADMIN_EMAIL ADMIN_PASSWORD
export PORT="${PORT:-3000}"
export NEXTAUTH_URL="${NEXTAUTH_URL:-http://localhost:${PORT}}"
echo "prestamos-console demo on ${NEXTAUTH_URL} — sign in as admin@demo.local / demo-admin-pass (or reviewer@demo.local / demo-reviewer-pass)"
exec env NEXT_MANUAL_SIG_HANDLE=1 npx next dev --port "$PORT"
