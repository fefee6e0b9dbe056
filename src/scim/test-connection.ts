/**
 * Recognising an identity provider's "Test Connection" probe.
 *
 * Microsoft Entra's Test Connection sends
 * `GET /Users?filter=userName eq "<random GUID>"` and expects 200 with an
 * empty ListResponse (Microsoft Learn, "Tutorial: Develop and plan
 * provisioning for a SCIM endpoint in Microsoft Entra ID": the connection
 * test queries a random userName). A real matching query from a provisioning
 * cycle filters on the user's userName — an address, not a bare GUID — so
 * "a userName eq filter whose value is a GUID, answered with no user" is
 * the probe; that is what the setup page shows as "last Test Connection".
 */

const PROBE = /^\s*userName\s+eq\s+"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"\s*$/i;

/** Whether a /Users list with this `filter` that found `total` users was a Test Connection probe. */
export function isTestConnectionProbe(filter: unknown, total: number): boolean {
  return total === 0 && typeof filter === "string" && filter.length < 200 && PROBE.test(filter);
}
