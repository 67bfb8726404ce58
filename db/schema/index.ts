// The tables the console owns. The legacy tables are in db/legacy-tables.ts, outside this
// folder, so that drizzle-kit never generates a migration that creates or alters them.
export * from "./auth";
export * from "./migration";
export * from "./operations";
export * from "./cutover";
export * from "./throttle";
export * from "./jobs";
