/**
 * PATCH operations take effect in the order sent (RFC 7644 §3.5.2), and the
 * licences end as the committed state says: a member removed before the
 * group becomes licensing never held a licence from it.
 */
import { describe, expect, it } from "vitest";
import { createGroup, createUser, expectLicenceInvariant, LICENCE_EXT, licenceOf, patchGroup } from "../support/licences.js";
import { memberIdsOf, newScimTenant } from "../support/scim-tenant.js";

describe("member and licence operations in one PATCH", () => {
  it("[remove member u, set licence True] on a free group leaves u with no licence at all", async () => {
    const t = await newScimTenant();
    const u = await createUser(t, "u@contoso.com");
    const v = await createUser(t, "v@contoso.com");
    const g = await createGroup(t, "Sales", "False", [u, v]);
    const r = await patchGroup(t, g, [
      { op: "remove", path: "members", value: [{ value: u }] },
      { op: "replace", path: `${LICENCE_EXT}:license`, value: "True" },
    ]);
    expect(r.status).toBe(204);
    expect(await licenceOf(t.id, u)).toBeNull();
    expect((await licenceOf(t.id, v))?.status).toBe("active");
    expect(await memberIdsOf(t, g)).toEqual([v]);
    await expectLicenceInvariant(t.id);
  });

  it("[set licence False, add member u] on a licensing group grants u nothing", async () => {
    const t = await newScimTenant();
    const u = await createUser(t, "w@contoso.com");
    const g = await createGroup(t, "Pro", "True");
    const r = await patchGroup(t, g, [
      { op: "replace", path: `${LICENCE_EXT}:license`, value: "False" },
      { op: "add", path: "members", value: [{ value: u }] },
    ]);
    expect(r.status).toBe(204);
    expect(await licenceOf(t.id, u)).toBeNull();
    await expectLicenceInvariant(t.id);
  });

  it("[add member u, set licence True] grants u an active licence", async () => {
    const t = await newScimTenant();
    const u = await createUser(t, "x@contoso.com");
    const g = await createGroup(t, "Ops", "False");
    const r = await patchGroup(t, g, [
      { op: "add", path: "members", value: [{ value: u }] },
      { op: "replace", path: `${LICENCE_EXT}:license`, value: "True" },
    ]);
    expect(r.status).toBe(204);
    expect((await licenceOf(t.id, u))?.status).toBe("active");
    await expectLicenceInvariant(t.id);
  });
});
