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
