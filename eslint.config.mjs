import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// Imports flow one way (CONVENTIONS): app → lib/http, lib/auth, lib/api → lib/migration → db.
// The engine announces events through lib/migration/events.ts; webhooks and metrics listen.
const nextAndReact = ["next", "next/*", "next-auth", "next-auth/*", "react", "react-dom", "react-dom/*"];
const outsideTheEngine = [
  "@/app/*",
  "@/components/*",
  "@/lib/report/*",
  "@/lib/api/*",
  "@/lib/http/*",
  "@/lib/auth/*",
  "@/lib/webhooks/*",
  "@/lib/metrics/*",
  "@/lib/server/*",
  "@/lib/cli/*",
];
const testHelpers = { group: ["@/lib/testing/*"], message: "Test helpers are for tests (lib/testing): production code never imports them." };

const engineBoundary = {
  patterns: [
    {
      group: [...nextAndReact, ...outsideTheEngine],
      message:
        "lib/migration, lib/errors and db are plain TypeScript that knows nothing of its callers: no Next, React, HTTP, API schemas, webhooks or metrics (announce an event in lib/migration/events.ts instead).",
    },
    { group: ["../*"], message: "Leave lib/migration or db by its @/ path, so the boundary rules see where the import goes." },
    testHelpers,
  ],
};

// What the browser bundles: the engine's words (vocabulary.ts) as values, anything else of the engine as types only.
const browserSafe = (extra) => ({
  patterns: [
    {
      group: ["@/db/*", "drizzle-orm", "drizzle-orm/*", "@/lib/migration/*", "!@/lib/migration/vocabulary"],
      allowTypeImports: true,
      message:
        "Browser code takes the engine's words from @/lib/migration/vocabulary and the rest of the engine as types only (drizzle must stay out of the bundle).",
    },
    {
      group: ["@/lib/server/*", "@/lib/http/*", "@/lib/auth/*", "@/lib/webhooks/*", "@/lib/metrics/*", ...extra],
      allowTypeImports: true,
      message: "Server code stays out of the browser's modules (its types may come in: they are erased).",
    },
    testHelpers,
  ],
});

const config = [
  ...nextVitals,
  ...nextTs,
  { ignores: [".next/**", "node_modules/**", ".data/**", "drizzle/**", "next-env.d.ts", "playwright-report/**", "test-results/**", "bench-results/**"] },
  {
    files: ["**/*.ts", "**/*.tsx", "**/*.mjs"],
    // A loop between modules is a layer that knows its caller; type-only imports are not followed.
    // Tests reach into every layer on purpose: the loops that matter are between production modules.
    ignores: ["**/*.test.ts", "e2e/**"],
    // Packages are not followed (a loop is ours to fix only through our own files), and each
    // module is parsed once per lint run (the default cache forgets after 30 s and re-parses).
    settings: { "import/ignore": ["node_modules"], "import/cache": { lifetime: Infinity } },
    rules: { "import/no-cycle": ["error", { ignoreExternal: true }] },
  },
  {
    files: ["lib/migration/**/*.ts", "lib/errors.ts", "db/**/*.ts"],
    // Tests may call route handlers in-process: the boundary is for the engine's own code.
    ignores: ["**/*.test.ts"],
    rules: { "no-restricted-imports": ["error", engineBoundary] },
  },
  {
    // The engine's vocabulary is imported by browser bundles: nothing of the engine at run time.
    files: ["lib/migration/vocabulary.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["*", "./*", "@/*"], allowTypeImports: true, message: "vocabulary.ts holds words, not code: type imports only." }] },
      ],
    },
  },
  {
    files: ["components/**/*.ts", "components/**/*.tsx"],
    ignores: ["**/*.test.ts"],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", browserSafe(["@/app/*"])] },
  },
  {
    // lib/api's schemas and fetch helpers are shared with the browser.
    files: ["lib/api/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", browserSafe(["@/app/*", "@/components/*"])] },
  },
  {
    files: ["app/**/*.ts", "app/**/*.tsx", "lib/**/*.ts"],
    ignores: ["**/*.test.ts", "lib/testing/**", "lib/cli/**", "lib/migration/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [testHelpers] }] },
  },
  {
    // Every page a spec opens is checked for failed requests by the `test` of e2e/support.ts.
    files: ["e2e/console/**/*.ts", "e2e/*.setup.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "@playwright/test", importNames: ["test"], message: "Import test from e2e/support: its page fails the test on any failed request." }],
        },
      ],
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
];

export default config;
