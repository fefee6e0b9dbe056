/**
 * The provisioning log keeps no request or response body, no query string
 * and no token: requests carrying a marker string in every place a client
 * can put one — body values, a filter, a PATCH path, a content type, a
 * member id, a number — and the tenant's token in the body and the query
 * too, leave neither in any stored column, including the error details that
 * quote what was sent. The details stay readable (what was wrong, which
 * attribute).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createGroup, PATCH_OP } from "../support/licences.js";
import { entryOf, loggedTenant, type LogRow } from "../support/provisioning-log.js";

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";

async function everyStoredValue(): Promise<string> {
  const { results } = await env.DB.prepare(`SELECT * FROM request_log`).all<LogRow>();
  return results.map((r) => Object.values(r).map(String).join("\u0000")).join("\n").toLowerCase();
}

describe("what the provisioning log never keeps", () => {
  it("no body value, query value or token, even where an error detail quotes them", async () => {
    const t = await loggedTenant({ allowedDomains: ["contoso.com"] });
    const marker = `mrk${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
    const phone = "5551234567";
    const sent: Array<{ status: number; detail: string | null }> = [];
    const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const r = await t.request(method, path, body, headers);
      const e = await entryOf(t.id, r);
      sent.push({ status: r.status, detail: e.detail });
      return { r, e };
    };

    // A success whose body carries the marker and the token.
    const created = await send("POST", "/Users", {
      schemas: [USER_SCHEMA],
      userName: `${marker}@contoso.com`,
      displayName: marker,
      externalId: marker,
      nickName: t.token,
      active: true,
    });
    expect(created.r.status).toBe(201);
    const userId = created.r.body.id as string;

    // Errors whose details quote what was sent.
    const dup = await send("POST", "/Users", { userName: `${marker}@contoso.com`, active: true });
    expect(dup.r.status).toBe(409);
    expect(dup.e.detail).toBe('A user with userName "…" already exists in this tenant.');
    const domain = await send("POST", "/Users", { userName: `someone@${marker}.example`, active: true });
    expect(domain.r.status).toBe(400);
    expect(domain.e.detail).toContain("userName domain");
    const wrongType = await send("POST", "/Users", { userName: `x@contoso.com`, active: true, displayName: { text: marker }, nickName: 7 });
    expect(wrongType.r.status).toBe(400);
    const wrongString = await send("PATCH", `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: marker }] });
    expect(wrongString.r.status).toBe(400);
    expect(wrongString.e.detail).toContain('"active"');
    const number = await send("POST", "/Users", { userName: "y@contoso.com", active: true, name: { givenName: Number(phone) } });
    expect(number.r.status).toBe(400);
    expect(number.e.detail).toContain('"name.givenName"');
    const badPath = await send("PATCH", `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: marker, value: t.token }] });
    expect(badPath.r.status).toBe(400);
    const group = await createGroup(t, "Team", "False");
    const member = await send("PATCH", `/Groups/${group}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: marker }] }] });
    expect(member.r.status).toBe(400);
    expect(member.e.detail).toContain("Members must be users of this tenant");
    const contentType = await send("POST", "/Users", JSON.stringify({ userName: marker }), { "content-type": `text/${marker}` });
    expect(contentType.r.status).toBe(400);
    expect(contentType.e.detail).toContain("Unsupported content type");
    const notJson = await send("POST", "/Users", `{"userName": "${marker}"`);
    expect(notJson.r.status).toBe(400);

    // Queries: a filter naming the marker, a malformed one quoting it, and the token as a query parameter.
    const filter = await send("GET", `/Users?filter=${encodeURIComponent(`userName eq "${marker}@contoso.com"`)}&access_token=${t.token}`);
    expect(filter.r.status).toBe(200);
    expect(filter.e.path).toBe("/Users");
    const badFilter = await send("GET", `/Users?filter=${encodeURIComponent(`${marker} eq "${marker}"`)}`);
    expect(badFilter.r.status).toBe(400);
    const badOp = await send("GET", `/Users?filter=${encodeURIComponent(`userName ${marker} "x"`)}`);
    expect(badOp.r.status).toBe(400);

    // Wrong credentials, one of them the marker.
    const wrong = await t.raw("GET", "/Users", { headers: { authorization: `Bearer scim_${marker}` } });
    expect(wrong.status).toBe(401);
    await entryOf(t.id, wrong);

    expect(sent.filter((s) => s.status >= 400).every((s) => s.detail !== null && s.detail.length > 0)).toBe(true);
    const stored = await everyStoredValue();
    expect(stored).not.toContain(marker);
    expect(stored).not.toContain(t.token.toLowerCase());
    expect(stored).not.toContain(t.token.slice("scim_".length).toLowerCase());
    expect(stored).not.toContain(phone);
    // The tenant's data does hold them: the log is what left them out.
    const user = await env.DB.prepare(`SELECT user_name FROM users WHERE tenant_id = ?1 AND id = ?2`).bind(t.id, userId).first<{ user_name: string }>();
    expect(user?.user_name).toBe(`${marker}@contoso.com`);
  });
});
