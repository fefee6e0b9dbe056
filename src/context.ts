import type { Env, VendorConfig } from "./env.js";
import type { RequestDatabase } from "./storage/database.js";

/** Hono's environment for every route: bindings plus per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    database: RequestDatabase;
    config: VendorConfig;
    /** Set by the SCIM bearer middleware once the token is verified for this tenant. */
    tenantId: string;
    /** The tenant's data shard, from its token's KV record (docs/sharding.md); SCIM requests only. */
    shard?: string;
    /** Read–compute–write attempts of a PUT or PATCH (1 unless it lost a race); logged with the request. */
    writeAttempts?: number;
    /**
     * The SCIM error a request was answered with (src/routes/scim/index.ts), for
     * the provisioning log: its status, RFC 7644 §3.12 scimType and detail, so
     * the log never re-parses a response body.
     */
    scimError?: { status: number; scimType: string | undefined; detail: string };
    /** The user or group a SCIM request named (`/Users/{id}`) or created (POST), for the provisioning log. */
    resourceId?: string;
  };
}
