import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships wasm + data files: bundling it breaks at run time (CONVENTIONS, pitfalls).
  serverExternalPackages: ["@electric-sql/pglite"],
  poweredByHeader: false,
};

export default nextConfig;
