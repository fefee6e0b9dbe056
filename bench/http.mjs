// Small fetch helpers for the admin API and single SCIM requests (the
// header samples and the timed licence flips). Load itself goes through
// autocannon (load.mjs).

export const SCIM_JSON = "application/scim+json";

/**
 * One request; returns status, parsed body (when JSON), D1 row headers and the
 * wall time in ms.
 * @param {string} url
 * @param {{ method?: string, token?: string, body?: unknown, contentType?: string, timeoutMs?: number }} [o]
 */
export async function request(url, { method = "GET", token, body, contentType = SCIM_JSON, timeoutMs = 120_000 } = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: `${SCIM_JSON}, application/json` };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = contentType;
  const started = performance.now();
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    json,
    text,
    ms,
    rowsRead: headerInt(res.headers.get("x-d1-rows-read")),
    rowsWritten: headerInt(res.headers.get("x-d1-rows-written")),
    writeAttempts: headerInt(res.headers.get("x-write-attempts")),
    statements: headerInt(res.headers.get("x-d1-statements")),
    /** Names the request's provisioning log entry (its `provisioning-log-write` line on wrangler's stdout). */
    requestId: res.headers.get("x-request-id"),
  };
}

function headerInt(v) {
  if (v === null) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Admin API client (Authorization: Bearer ADMIN_TOKEN). */
export class AdminClient {
  constructor(baseUrl, adminToken) {
    this.baseUrl = baseUrl;
    this.adminToken = adminToken;
  }

  async call(method, path, body) {
    const r = await request(`${this.baseUrl}/admin${path}`, { method, token: this.adminToken, body, contentType: "application/json" });
    if (r.status >= 300) throw new Error(`${method} /admin${path} → ${r.status} ${r.text.slice(0, 300)}`);
    return r.json;
  }

  /** Creates a tenant and returns its SCIM base URL and a fresh SCIM token. */
  async createTenant(id, name, extra = {}) {
    const tenant = await this.call("POST", "/tenants", { id, name, ...extra });
    const issued = await this.call("POST", `/tenants/${encodeURIComponent(id)}/tokens`, { label: "bench" });
    return { id, tenant, token: issued.token, scimBase: `${this.baseUrl}/tenants/${encodeURIComponent(id)}/scim/v2` };
  }

  async createTenantOnly(id, name, extra = {}) {
    return this.call("POST", "/tenants", { id, name, ...extra });
  }

  async stats(id) {
    const t = await this.call("GET", `/tenants/${encodeURIComponent(id)}`);
    return t.stats;
  }
}
