// Types `exports.default` from "cloudflare:workers" in tests as the worker's
// own entry (what `wrangler types` would generate as GlobalProps).
declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("../../src/index.js");
    }
  }
}

export {};
