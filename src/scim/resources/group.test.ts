import { describe, expect, it } from "vitest";
import { DEFAULT_VENDOR_CONFIG } from "../../env.js";
import { GROUP_SCHEMA, resourceDefinitions } from "../schema/index.js";
import { groupKeys, parseGroupResource, parseLicence, parseMembers, renderGroup, validateGroupDoc, withStoredLicence } from "./group.js";
import { thrownScimError } from "../../../test/support/thrown-scim-error.js";

const config = DEFAULT_VENDOR_CONFIG;
const { group } = resourceDefinitions(config);
const LICENCE = config.groupExtensionUrn;

describe("parseLicence (the licence rules)", () => {
  it.each([true, "true", "True"])("%s → licensing", (v) => {
    expect(parseLicence(v)).toBe(true);
  });
  it.each([undefined, null])("%s → null: absent, decided by the caller", (v) => {
    expect(parseLicence(v)).toBeNull();
  });
  it.each([false, "false", "False"])("%s → not licensing", (v) => {
    expect(parseLicence(v)).toBe(false);
  });
  it.each(["TRUE", "FALSE", "yes", "1", 1, 0, "", {}, []])("%j → 400 invalidValue", (v) => {
    expect(thrownScimError(() => parseLicence(v)).scimType).toBe("invalidValue");
  });
});

describe("Entra POST /Groups", () => {
  it("accepts the ADSCIM schema, ignores meta, no members → members undefined, licence absent (the tenant policy decides)", () => {
    const parsed = parseGroupResource(
      {
        schemas: [GROUP_SCHEMA, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        displayName: "Sales",
        meta: { resourceType: "Group" },
      },
      group,
      config,
    );
    expect(parsed).toEqual({
      doc: { externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", displayName: "Sales" },
      members: undefined,
      licensing: null,
    });
  });

  it('keeps the licence as sent ("False" round-trips) from the URN object or the flat key', () => {
    const nested = parseGroupResource({ displayName: "Free", [LICENCE]: { license: "False" } }, group, config);
    expect(nested.doc[LICENCE]).toEqual({ license: "False" });
    expect(nested.licensing).toBe(false);
    const flat = parseGroupResource({ displayName: "Pro", [`${LICENCE}:license`]: "True" }, group, config);
    expect(flat.doc[LICENCE]).toEqual({ license: "True" });
    expect(flat.licensing).toBe(true);
    const bool = parseGroupResource({ displayName: "Pro", [LICENCE]: { LICENSE: false } }, group, config);
    expect(bool.doc[LICENCE]).toEqual({ license: false });
    expect(bool.licensing).toBe(false);
  });

  it("rejects a licence value other than true/false (boolean or string)", () => {
    const err = thrownScimError(() => parseGroupResource({ displayName: "X", [LICENCE]: { license: "yes" } }, group, config));
    expect(err.scimType).toBe("invalidValue");
    expect(err.message).toContain("license");
  });

  it("displayName is required", () => {
    expect(thrownScimError(() => parseGroupResource({ externalId: "e" }, group, config)).message).toBe("displayName is required");
  });
});

describe("Okta POST /Groups and members", () => {
  it("members: [] → []; members are never in the doc", () => {
    const parsed = parseGroupResource({ schemas: [GROUP_SCHEMA], displayName: "Test SCIMv2", members: [] }, group, config);
    expect(parsed.members).toEqual([]);
    expect(parsed.doc).toEqual({ displayName: "Test SCIMv2" });
  });

  it("extracts member ids (Entra's $ref: null, case-insensitive Value), deduplicated", () => {
    const parsed = parseGroupResource(
      { displayName: "G", Members: [{ $ref: null, value: "u1" }, { Value: "u2", display: "Bob", type: "User" }, { value: "u1" }] },
      group,
      config,
    );
    expect(parsed.members).toEqual(["u1", "u2"]);
  });

  it("a member without a non-empty string value is invalidValue", () => {
    for (const bad of [["u1"], [{ value: "" }], [{ value: 5 }], [{ display: "x" }], [null]]) {
      expect(thrownScimError(() => parseMembers(bad)).scimType).toBe("invalidValue");
    }
    expect(parseMembers(null)).toEqual([]);
    expect(parseMembers({ value: "u1" })).toEqual(["u1"]);
  });
});

describe("groupKeys, validateGroupDoc and renderGroup", () => {
  it("folds displayName and reads the licence; an absent licence takes the value given for that case", () => {
    expect(groupKeys({ displayName: "ＳＡＬＥＳ Team", externalId: "e" }, config)).toEqual({
      displayNameKey: "sales team",
      externalId: "e",
      licensing: null,
    });
    expect(groupKeys({ displayName: "F", [LICENCE]: { license: "false" } }, config).licensing).toBe(false);
    // PUT/PATCH pass the stored state: absence never flips a licence.
    expect(groupKeys({ displayName: "F" }, config, false).licensing).toBe(false);
    expect(groupKeys({ displayName: "F" }, config, true).licensing).toBe(true);
    expect(groupKeys({ displayName: "F", [LICENCE]: { license: "True" } }, config, false).licensing).toBe(true);
  });

  it("withStoredLicence carries the stored value into a PUT body that has none", () => {
    const stored = { displayName: "G", [LICENCE]: { license: "False" } };
    expect(withStoredLicence({ displayName: "H" }, stored, config)).toEqual({ displayName: "H", [LICENCE]: { license: "False" } });
    expect(withStoredLicence({ displayName: "H", [LICENCE]: { license: "True" } }, stored, config)[LICENCE]).toEqual({ license: "True" });
    expect(withStoredLicence({ displayName: "H" }, { displayName: "G" }, config)).toEqual({ displayName: "H" });
  });

  it("validateGroupDoc checks a PATCH result", () => {
    expect(validateGroupDoc({ displayName: "G", [LICENCE]: { license: "False" } }, group, config)).toEqual({
      doc: { displayName: "G", [LICENCE]: { license: "False" } },
    });
    expect(thrownScimError(() => validateGroupDoc({ displayName: "" }, group, config)).scimType).toBe("invalidValue");
  });

  const meta = {
    id: "g1",
    created: "2026-01-01T00:00:00Z",
    lastModified: "2026-01-01T00:00:00Z",
    version: 'W/"1"',
    location: "https://x/Groups/g1",
  };
  it("omits members when undefined (excludedAttributes=members) and lists the licence schema when present", () => {
    const out = renderGroup({ displayName: "G", [LICENCE]: { license: "True" } }, meta, undefined, group);
    expect(out).not.toHaveProperty("members");
    expect(out["schemas"]).toEqual([GROUP_SCHEMA, LICENCE]);
    expect(out["meta"]).toMatchObject({ resourceType: "Group", location: "https://x/Groups/g1" });
  });
  it('renders members: [] for an empty group, as in Microsoft\'s examples', () => {
    const out = renderGroup({ displayName: "G" }, meta, [], group);
    expect(out["members"]).toEqual([]);
    expect(out["schemas"]).toEqual([GROUP_SCHEMA]);
  });
});
