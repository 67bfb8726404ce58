// postinstall: guards postgres.js 3.4.x against a dropped connection (found by
// lib/migration/outage.int.test.ts and db/dropped-connection.pg.int.test.ts; upstream
// porsager/postgres#1208, #1154, PRs #1168/#1176/#1215, no release yet). When the server ends a
// connection (pg_terminate_backend, a restart, a proxy):
// - `closed()`/`terminate()` cancel the pending write immediate but leave `nextWriteTimer` set and
//   the old `chunk` buffered: the connection's next startup message is then never sent (a
//   CONNECT_TIMEOUT after 30 s, forever: the pool slot is poisoned), or a late immediate writes to
//   a null socket, an uncaught TypeError that kills the process. Both are reset on teardown.
// - a statement sent on the connection after it closed (the next statement of a transaction whose
//   session was ended between two of its statements, or its ROLLBACK) was written to no socket and
//   never settled: the transaction waited for ever. It is now rejected with CONNECTION_CLOSED (and
//   execute() answers true, so the pool does not file the closed connection as full, for ever).
// - the closed session's last query and error stayed on the connection: once reconnected, its
//   first query was rejected with the old session's error, or a statement left of the dead session
//   resolved with an empty result and the code after it ran on the new session, outside its
//   transaction. They are cleared.
// Idempotent; fails loudly if the code it patches changed.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const MARK = "/* prestamos-console: dropped-connection guard */";
const edits = [
  ["  function nextWrite(fn) {\n", `  function nextWrite(fn) {\n    ${MARK} if (!socket) { chunk = nextWriteTimer = null; return false }\n`],
  ["    clearImmediate(nextWriteTimer)\n    if (socket) {", `    clearImmediate(nextWriteTimer)\n    ${MARK} chunk = nextWriteTimer = null\n    if (socket) {`],
  [
    "    incomings = null\n    clearImmediate(nextWriteTimer)\n",
    `    incomings = null\n    clearImmediate(nextWriteTimer)\n    ${MARK} chunk = nextWriteTimer = null\n`,
  ],
  [
    "    if (terminated)\n      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))\n",
    `    if (terminated)\n      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))\n    ${MARK} if (!socket) { queryError(q, Errors.connection('CONNECTION_CLOSED', options)); return true }\n`,
  ],
  [
    "    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n",
    `    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n    ${MARK} query = results = errorResponse = null\n`,
  ],
];
let patched = 0;
for (const flavour of ["src", "cjs/src", "cf/src"]) {
  const file = path.join(root, "node_modules", "postgres", flavour, "connection.js");
  if (!fs.existsSync(file)) continue;
  let text = fs.readFileSync(file, "utf8");
  if (text.includes(MARK)) continue;
  for (const [from, to] of edits) {
    if (!text.includes(from))
      throw new Error(`patch-postgres: ${file} changed (no ${JSON.stringify(from.slice(0, 40))}): review the guard against the new postgres.js`);
    text = text.replace(from, to);
  }
  fs.writeFileSync(file, text);
  patched++;
}
if (patched) console.log(`patch-postgres: guarded ${patched} copies of postgres.js against dropped connections`);
