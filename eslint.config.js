// ESLint flat config: the recommended rules of ESLint and typescript-eslint
// for every source, test, script and config file.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    ignores: ["node_modules/", ".wrangler/", "migrations/meta/", "bench/results/", "coverage/"],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // Deliberately unused parameters and caught errors are spelt with a leading underscore.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
    },
  },
  // The layer map (docs/design.md, "Layers"): which folder of src/ may import which.
  {
    // Protocol logic is pure TypeScript: no I/O, no framework, no storage.
    files: ["src/scim/**/*.ts"],
    ignores: ["src/scim/**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/storage/**", "**/provisioning/**", "**/routes/**", "**/middleware/**", "**/licence/**"], message: "src/scim is pure protocol code: no storage, provisioning, routes or middleware." },
            { group: ["hono", "hono/*", "drizzle-orm", "drizzle-orm/*"], message: "src/scim is pure protocol code: no framework and no database." },
          ],
        },
      ],
    },
  },
  {
    // OAuth protocol logic (token request parsing, RFC 6749 errors, RFC 8414 metadata) is pure like src/scim.
    files: ["src/oauth/**/*.ts"],
    ignores: ["src/oauth/**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/storage/**", "**/provisioning/**", "**/routes/**", "**/middleware/**", "**/licence/**", "**/scim/**"], message: "src/oauth is pure protocol code: no storage, routes, middleware or SCIM." },
            { group: ["hono", "hono/*", "drizzle-orm", "drizzle-orm/*"], message: "src/oauth is pure protocol code: no framework and no database." },
          ],
        },
      ],
    },
  },
  {
    // Storage runs SQL; it does not interpret SCIM (types only) and knows nothing of HTTP.
    files: ["src/storage/**/*.ts"],
    ignores: ["src/storage/**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/scim/**"], allowTypeImports: true, message: "Storage may import SCIM types only; SCIM semantics stay in src/scim and src/provisioning." },
            { group: ["**/provisioning/**", "**/routes/**", "**/middleware/**", "hono", "hono/*"], message: "Storage knows nothing of provisioning or HTTP." },
          ],
        },
      ],
    },
  },
  {
    // The licence module: transition SQL, the sweep, the current-licences read.
    files: ["src/licence/**/*.ts", "src/provisioning/**/*.ts", "src/feed/**/*.ts", "src/provisioning-log/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/routes/**", "**/middleware/**", "hono", "hono/*"], message: "Provisioning, licences, the feed and the provisioning log know nothing of HTTP: routes call them." }] },
      ],
    },
  },
  {
    // SCIM routes parse, call one provisioning function and render.
    files: ["src/routes/scim/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/storage/**", "**/licence/**"], allowTypeImports: true, message: "SCIM routes go through src/provisioning." },
            { group: ["drizzle-orm", "drizzle-orm/*"], message: "Routes issue no D1 statement." },
          ],
        },
      ],
    },
  },
  {
    // No route issues a D1 statement: SQL lives in src/storage and src/licence.
    files: ["src/routes/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name=/^(prepare|batch|exec)$/]", message: "Routes issue no D1 statement: call a storage or provisioning function." },
        { selector: "ImportDeclaration[source.value=/^drizzle-orm/]", message: "Routes issue no D1 statement: call a storage or provisioning function." },
      ],
    },
  },
  {
    // The console and the setup page render what storage, licence, feed and provisioning-log
    // functions return (the admin API's own reads); they issue no D1 statement themselves.
    files: ["src/console/**/*.ts", "src/console/**/*.tsx"],
    ignores: ["**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/routes/**", "**/provisioning/**", "**/webhooks/**"], message: "src/console reads through storage, licence, feed and provisioning-log functions, not routes or SCIM writes." },
            { group: ["drizzle-orm", "drizzle-orm/*"], message: "src/console issues no D1 statement: call a storage function." },
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name=/^(prepare|batch|exec)$/]", message: "src/console issues no D1 statement: call a storage function." },
      ],
    },
  },
  {
    // Webhooks: pure rules (URL, back-off, plan, payload), sealing, signing and the delivery run.
    // SQL stays in src/storage/webhooks.ts; HTTP in src/routes/admin-webhooks.ts.
    files: ["src/webhooks/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/routes/**", "**/middleware/**", "**/provisioning/**", "**/licence/**", "hono", "hono/*"], message: "src/webhooks knows nothing of HTTP routes, provisioning or licences." },
            { group: ["drizzle-orm", "drizzle-orm/*"], message: "src/webhooks issues no D1 statement: src/storage/webhooks.ts does." },
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name=/^(prepare|batch|exec)$/]", message: "src/webhooks issues no D1 statement: src/storage/webhooks.ts does." },
      ],
    },
  },
  {
    // Tenant moves: the pure plan (steps, progress, budgets), checksums and the advancer. The SQL that
    // copies, verifies and deletes is src/storage/tenant-copy.ts; the move row, src/storage/tenant-moves.ts.
    files: ["src/moves/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/routes/**", "**/middleware/**", "**/provisioning/**", "**/licence/**", "**/webhooks/**", "hono", "hono/*"], message: "src/moves knows nothing of HTTP, provisioning, licences or webhooks." },
            { group: ["drizzle-orm", "drizzle-orm/*"], message: "src/moves issues no D1 statement: src/storage/tenant-copy.ts and tenant-moves.ts do." },
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name=/^(prepare|batch|exec)$/]", message: "src/moves issues no D1 statement: src/storage/tenant-copy.ts and tenant-moves.ts do." },
      ],
    },
  },
  {
    // Node scripts (scripts/, bench/, .mjs configs) run on Node, not in workerd.
    files: ["**/*.mjs", "**/*.cjs", "scripts/**", "bench/**"],
    languageOptions: {
      // Node's globals (the `globals` package is not a direct dependency).
      globals: Object.fromEntries(
        [
          "process",
          "console",
          "Buffer",
          "URL",
          "URLSearchParams",
          "fetch",
          "Request",
          "Response",
          "Headers",
          "AbortController",
          "AbortSignal",
          "TextEncoder",
          "TextDecoder",
          "performance",
          "crypto",
          "structuredClone",
          "queueMicrotask",
          "setTimeout",
          "clearTimeout",
          "setInterval",
          "clearInterval",
          "setImmediate",
          "clearImmediate",
        ].map((name) => [name, "readonly"]),
      ),
    },
  },
);
