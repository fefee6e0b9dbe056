/**
 * Recording an identity provider's Test Connection probe
 * (src/scim/test-connection.ts recognises it): the tenant's one row of
 * test_connection_probes, written on the binding itself (not the request's
 * metered handle: the route schedules it after the response, like the
 * provisioning log entry), so the setup page can say "Entra reached us at …".
 */
import { recordTestConnectionProbeStatement, type TestConnectionProbe } from "../storage/test-connection-probes.js";

export async function recordTestConnectionProbe(d1: D1Database, tenantId: string, probe: TestConnectionProbe): Promise<void> {
  await recordTestConnectionProbeStatement(d1, tenantId, probe).run();
}
