/**
 * Parallel writers lose nothing and fail nothing: a client that sent no
 * If-Match never gets a 409 for "modified concurrently" (Entra escrows a 409
 * and retries it hours later). Twenty PATCHes of one resource are started
 * together; each reads the same version, so all but one lose their first
 * write and retry (x-write-attempts counts the attempts of each request).
 */
import { describe, expect, it } from "vitest";
import { createGroup, createUser, expectLicenceInvariant, LICENCE_EXT, licenceOf, patchGroup, patchUser } from "../support/licences.js";
import { memberIdsOf, newScimTenant, type ScimReply } from "../support/scim-tenant.js";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const VENDOR_EXT = "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User";

/** Twenty different single-valued attributes of a user, each with its own value. */
const ATTRIBUTES: Array<[string, string, (body: any) => unknown]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any -- SCIM JSON
  ["displayName", "Display", (b) => b.displayName],
  ["nickName", "Nick", (b) => b.nickName],
  ["title", "Title", (b) => b.title],
  ["userType", "Employee", (b) => b.userType],
  ["preferredLanguage", "de-DE", (b) => b.preferredLanguage],
  ["locale", "de-DE", (b) => b.locale],
  ["timezone", "Europe/Berlin", (b) => b.timezone],
  ["profileUrl", "https://example.com/p", (b) => b.profileUrl],
  ["externalId", "ext-1", (b) => b.externalId],
  ["name.givenName", "Given", (b) => b.name?.givenName],
  ["name.familyName", "Family", (b) => b.name?.familyName],
  ["name.middleName", "Middle", (b) => b.name?.middleName],
  ["name.honorificPrefix", "Dr.", (b) => b.name?.honorificPrefix],
  ["name.formatted", "Dr. Given Family", (b) => b.name?.formatted],
  [`${ENTERPRISE}:employeeNumber`, "4711", (b) => b[ENTERPRISE]?.employeeNumber],
  [`${ENTERPRISE}:department`, "Finance", (b) => b[ENTERPRISE]?.department],
  [`${ENTERPRISE}:costCenter`, "CC-9", (b) => b[ENTERPRISE]?.costCenter],
  [`${ENTERPRISE}:organization`, "Contoso", (b) => b[ENTERPRISE]?.organization],
  [`${ENTERPRISE}:division`, "EMEA", (b) => b[ENTERPRISE]?.division],
  [`${VENDOR_EXT}:notificationPhoneNumber`, "+49 30 1234", (b) => b[VENDOR_EXT]?.notificationPhoneNumber],
];

function attempts(replies: ScimReply[]): number[] {
  return replies.map((r) => Number(r.headers.get("x-write-attempts") ?? "0"));
}

describe("concurrent PATCHes without If-Match", () => {
  it("20 PATCHes of different attributes of one user all answer 200 and all changes are kept", async () => {
    const t = await newScimTenant();
    const id = await createUser(t, "ann@contoso.com");
    const replies = await Promise.all(ATTRIBUTES.map(([path, value]) => patchUser(t, id, [{ op: "replace", path, value }])));
    for (const r of replies) expect(r.status, JSON.stringify(r.body)).toBe(200);
    // They did race: every request but one needed more than one attempt in all.
    expect(attempts(replies).reduce((a, b) => a + b, 0)).toBeGreaterThan(ATTRIBUTES.length);
    const after = await t.request("GET", `/Users/${id}`);
    for (const [path, value, read] of ATTRIBUTES) expect(read(after.body), path).toBe(value);
  });

  it("20 PATCHes of one group mixing member and attribute changes all answer 204 and all changes are kept", async () => {
    const t = await newScimTenant();
    const users = await Promise.all(Array.from({ length: 10 }, (_, i) => createUser(t, `m${i}@contoso.com`)));
    const g = await createGroup(t, "Sales", "False");
    const ops: unknown[][] = [
      ...users.map((u) => [{ op: "add", path: "members", value: [{ value: u }] }]),
      ...users.map((u, i) => [{ op: "replace", path: "externalId", value: `x-${i}` }, { op: "add", path: "members", value: [{ value: u }] }]),
    ];
    ops[ops.length - 1] = [{ op: "replace", path: `${LICENCE_EXT}:license`, value: "True" }];
    const replies = await Promise.all(ops.map((o) => patchGroup(t, g, o)));
    for (const r of replies) expect(r.status, JSON.stringify(r.body)).toBe(204);
    // The attribute changes raced (member-only PATCHes read nothing and cannot lose).
    expect(attempts(replies).reduce((a, b) => a + b, 0)).toBeGreaterThan(ops.length);
    expect(await memberIdsOf(t, g)).toEqual([...users].sort());
    const after = await t.request("GET", `/Groups/${g}?excludedAttributes=members`);
    expect(after.body.externalId).toMatch(/^x-\d$/);
    for (const u of users) expect((await licenceOf(t.id, u))?.status).toBe("active");
    await expectLicenceInvariant(t.id);
  });
});
