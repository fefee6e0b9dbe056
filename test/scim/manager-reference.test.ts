/**
 * References stay inside the tenant (RFC 7643 §4.3): `manager.value` must be
 * a user of the same tenant, and `manager.displayName` (readOnly) is read
 * from that user, never taken from the request.
 */
import { describe, expect, it } from "vitest";
import { createUser, patchUser } from "../support/licences.js";
import { newScimTenant } from "../support/scim-tenant.js";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

describe("manager", () => {
  it("Entra's bare-id PATCH sets the manager; displayName comes from the manager's user", async () => {
    const t = await newScimTenant();
    const boss = await createUser(t, "boss@contoso.com", { displayName: "The Boss" });
    const id = await createUser(t, "emp@contoso.com");
    const r = await patchUser(t, id, [{ op: "Add", path: `${ENTERPRISE}:manager`, value: boss }]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body[ENTERPRISE].manager).toMatchObject({ value: boss, displayName: "The Boss" });
    // A later PATCH of something else keeps it as it is.
    expect((await patchUser(t, id, [{ op: "replace", path: "title", value: "Clerk" }])).status).toBe(200);
    expect((await t.request("GET", `/Users/${id}`)).body[ENTERPRISE].manager).toMatchObject({ value: boss, displayName: "The Boss" });
  });

  it("a displayName sent by the client is ignored", async () => {
    const t = await newScimTenant();
    const boss = await createUser(t, "b2@contoso.com", { displayName: "Real Name" });
    const r = await t.request("POST", "/Users", {
      userName: "e2@contoso.com",
      [ENTERPRISE]: { manager: { value: boss, displayName: "Forged Name" } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body[ENTERPRISE].manager).toMatchObject({ value: boss, displayName: "Real Name" });
  });

  it("a manager id of another tenant, or of no user, → 400 invalidValue, nothing applied", async () => {
    const t = await newScimTenant();
    const other = await newScimTenant();
    const foreign = await createUser(other, "x@fabrikam.com", { displayName: "Foreign" });
    const id = await createUser(t, "e3@contoso.com");
    const before = await t.request("GET", `/Users/${id}`);
    for (const value of [foreign, "00000000-0000-0000-0000-000000000000"]) {
      const r = await patchUser(t, id, [{ op: "replace", path: `${ENTERPRISE}:manager`, value: { value } }]);
      expect(r.status).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/scim+json");
      expect(r.body).toMatchObject({ status: "400", scimType: "invalidValue" });
      expect(r.body.detail).toContain(value);
    }
    expect((await t.request("GET", `/Users/${id}`)).body).toEqual(before.body);
    const created = await t.request("POST", "/Users", { userName: "e4@contoso.com", [ENTERPRISE]: { manager: foreign } });
    expect(created.status).toBe(400);
    expect((await t.request("GET", `/Users?filter=userName eq "e4@contoso.com"`)).body.totalResults).toBe(0);
  });
});
