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
    /** Read–compute–write attempts of a PUT or PATCH (1 unless it lost a race); logged with the request. */
    writeAttempts?: number;
  };
}
