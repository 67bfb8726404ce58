/** Next calls register() once per server process, before it serves: start-up lives in lib/server/boot.ts. */
export async function register(): Promise<void> {
  // Node runtime only (PGlite, postgres.js, signals); and never while `next build` collects pages.
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") return;
  const { installPeerAddressHeader } = await import("./lib/server/peer-address");
  installPeerAddressHeader();
  const { bootOrExit } = await import("./lib/server/boot");
  await bootOrExit();
}
