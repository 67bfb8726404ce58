import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const engineBoundary = {
  patterns: [
    { group: ["next", "next/*", "next-auth", "next-auth/*", "react", "react-dom", "@/app/*", "@/components/*", "@/lib/http/*", "@/lib/auth/*"],
      message: "lib/migration, lib/errors and db are plain TypeScript: no Next, React or HTTP imports (CONVENTIONS: imports flow one way)." },
  ],
};

const config = [
  ...nextVitals,
  ...nextTs,
  { ignores: [".next/**", "node_modules/**", ".data/**", "drizzle/**", "next-env.d.ts", "playwright-report/**", "test-results/**", "bench-results/**"] },
  {
    files: ["lib/migration/**/*.ts", "lib/errors.ts", "db/**/*.ts"],
    // Tests may call route handlers in-process: the boundary is for the engine's own code.
    ignores: ["**/*.test.ts"],
    rules: { "no-restricted-imports": ["error", engineBoundary] },
  },
  {
    // Every page a spec opens is checked for failed requests by the `test` of e2e/support.ts.
    files: ["e2e/console/**/*.ts", "e2e/*.setup.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: [{ name: "@playwright/test", importNames: ["test"], message: "Import test from e2e/support: its page fails the test on any failed request." }] }],
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
];

export default config;
