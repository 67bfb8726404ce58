import type { NextConfig } from "next";

const dev = process.env.NODE_ENV !== "production";

/**
 * Content-Security-Policy of every page and API response. Scripts and styles from our own origin
 * plus 'unsafe-inline': `next start` serves App Router pages with inline bootstrap scripts
 * (self.__next_f.push…) and inline styles (Next's own, Recharts'), and the alternative (a nonce
 * per request from proxy.ts) would render every page dynamically and put the proxy in front of
 * everything. What the CSP still buys: no script or style from another origin, no plugins, no
 * <base> hijack, forms post only to us, fetch/XHR only to us, and no framing at all
 * (frame-ancestors 'none', with X-Frame-Options DENY for older browsers). Development adds what
 * React Refresh needs ('unsafe-eval', the HMR websocket).
 */
const csp = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  `connect-src 'self'${dev ? " ws: wss:" : ""}`,
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS = [
  { key: "Content-Security-Policy", value: csp },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()" },
  // Browsers honour it only over https (and ignore it on the embedded demo's http): once seen, never http again.
  { key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" },
];

const nextConfig: NextConfig = {
  // PGlite ships wasm + data files: bundling it breaks at run time (CONVENTIONS, pitfalls).
  serverExternalPackages: ["@electric-sql/pglite"],
  poweredByHeader: false,
  // Issue 6: on every response, pages and /api alike (an API error envelope is framed or sniffed as easily as a page).
  async headers() {
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
};

export default nextConfig;
