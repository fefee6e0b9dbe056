import { describe, expect, it } from "vitest";
import { DEFAULT_VENDOR_CONFIG } from "../../env.js";
import { resourceDefinitions } from "../schema/resources.js";
import { bindFilter } from "./bind.js";
import { parseFilter } from "./parse.js";
import { checkMembershipFilter, findSeek } from "./seek.js";
import { thrownScimError } from "../../../test/support/thrown-scim-error.js";

const { user, group } = resourceDefinitions(DEFAULT_VENDOR_CONFIG);
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const seekUser = (filter: string) => findSeek(bindFilter(parseFilter(filter), user));
const seekGroup = (filter: string) => findSeek(bindFilter(parseFilter(filter), group));

describe("findSeek: the indexed equality every match satisfies", () => {
  it("seeks Entra's userName matching filter, value as written", () => {
    expect(seekUser('userName eq "Alice@Contoso.com"')).toEqual({ kind: "userName", value: "Alice@Contoso.com" });
    expect(seekUser('USERNAME EQ "a"')).toEqual({ kind: "userName", value: "a" });
    expect(seekUser('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"')).toEqual({ kind: "userName", value: "a" });
  });

  it("seeks id, externalId (also unquoted) and displayName", () => {
    expect(seekUser('id eq "2819c223"')).toEqual({ kind: "id", value: "2819c223" });
    expect(seekUser("externalId eq jyoung")).toEqual({ kind: "externalId", value: "jyoung" });
    expect(seekUser("externalId eq 00123")).toEqual({ kind: "externalId", value: "00123" });
    expect(seekGroup('displayName eq "Sales"')).toEqual({ kind: "displayName", value: "Sales" });
  });

  it("seeks Entra's work-email matching filter `emails[type eq \"work\"].value eq`", () => {
    expect(seekUser('emails[type eq "work"].value eq "a@b.c"')).toEqual({ kind: "workEmail", value: "a@b.c" });
  });

  it("seeks a work email in either order, with more conditions and any case of \"work\"", () => {
    expect(seekUser('emails[value eq "a@b.c" and type eq "Work"]')).toEqual({ kind: "workEmail", value: "a@b.c" });
    expect(seekUser('emails[primary eq true and type eq "work" and value eq "a@b.c"]')).toEqual({
      kind: "workEmail",
      value: "a@b.c",
    });
  });

  it("does not seek emails that are not constrained to type work on the same element", () => {
    expect(seekUser('emails[type eq "home" and value eq "a@b.c"]')).toBeUndefined();
    expect(seekUser('emails[value eq "a@b.c"]')).toBeUndefined();
    expect(seekUser('emails[type eq "work" or value eq "a@b.c"]')).toBeUndefined();
    expect(seekUser('emails.type eq "work" and emails.value eq "a@b.c"')).toBeUndefined();
  });

  it("seeks group members by value, bracketed or dotted", () => {
    expect(seekGroup('members[value eq "u1"]')).toEqual({ kind: "memberValue", value: "u1" });
    expect(seekGroup('members.value eq "u1"')).toEqual({ kind: "memberValue", value: "u1" });
    expect(seekGroup('members eq "u1"')).toEqual({ kind: "memberValue", value: "u1" });
  });

  it("seeks a user's groups by value, bracketed or dotted, only as value eq", () => {
    expect(seekUser('groups[value eq "g1"]')).toEqual({ kind: "groupValue", value: "g1" });
    expect(seekUser('groups.value eq "g1"')).toEqual({ kind: "groupValue", value: "g1" });
    expect(seekUser('groups eq "g1"')).toEqual({ kind: "groupValue", value: "g1" });
    expect(seekUser('groups[value eq "g1" and display eq "G"]')).toBeUndefined();
    expect(seekUser('groups.display eq "G"')).toBeUndefined();
  });

  it("prefers a membership seek, then id > userName > externalId > workEmail > displayName", () => {
    expect(seekUser('displayName eq "d" and externalId eq "e" and userName eq "u" and id eq "i"')).toEqual({ kind: "id", value: "i" });
    expect(seekUser('displayName eq "d" and externalId eq "e" and userName eq "u"')).toEqual({ kind: "userName", value: "u" });
    expect(seekUser('displayName eq "d" and emails[type eq "work"].value eq "w" and externalId eq "e"')).toEqual({
      kind: "externalId",
      value: "e",
    });
    expect(seekUser('displayName eq "d" and emails[type eq "work"].value eq "w"')).toEqual({ kind: "workEmail", value: "w" });
    // The membership condition can only be answered through its own seek (storage adds it to what the filter sees).
    expect(seekGroup('members[value eq "u1"] and displayName eq "d"')).toEqual({ kind: "memberValue", value: "u1" });
    expect(seekUser('userName eq "u" and groups.value eq "g1"')).toEqual({ kind: "groupValue", value: "g1" });
  });

  it("walks nested top-level and conjuncts, including parenthesised ones", () => {
    expect(seekUser('active eq true and (title pr and userName eq "u")')).toEqual({ kind: "userName", value: "u" });
  });

  it("never seeks under or / not, nor on non-equality operators (seek must be necessary)", () => {
    expect(seekUser('userName eq "a" or userName eq "b"')).toBeUndefined();
    expect(seekUser('not (userName eq "a")')).toBeUndefined();
    expect(seekUser('userName ne "a"')).toBeUndefined();
    expect(seekUser('userName sw "a"')).toBeUndefined();
    expect(seekUser('active eq true and (userName eq "a" or id eq "b")')).toBeUndefined();
  });

  it("ignores non-string values, null and extension attributes", () => {
    expect(seekUser("displayName eq null")).toBeUndefined();
    expect(seekUser(`${ENTERPRISE}:employeeNumber eq "1"`)).toBeUndefined();
    expect(seekUser(`${ENTERPRISE}:manager.value eq "1"`)).toBeUndefined();
    expect(seekUser('name.givenName eq "a"')).toBeUndefined();
  });
});

describe("checkMembershipFilter: memberships only as one value eq conjunct", () => {
  const checkUser = (filter: string) => () => checkMembershipFilter(bindFilter(parseFilter(filter), user));
  const checkGroup = (filter: string) => () => checkMembershipFilter(bindFilter(parseFilter(filter), group));

  it("accepts the indexed forms, alone or and-ed with other conditions", () => {
    for (const f of ['groups.value eq "g"', 'groups[value eq "g"]', 'groups eq "g"', 'active eq true and groups.value eq "g"', 'userName sw "a"']) {
      expect(checkUser(f)).not.toThrow();
    }
    for (const f of ['members[value eq "u"]', 'members.value eq "u" and displayName eq "d"']) expect(checkGroup(f)).not.toThrow();
  });

  it("refuses every other use of groups / members with invalidFilter naming the supported form", () => {
    for (const f of [
      'groups.display eq "G"',
      'groups.value co "g"',
      'groups.value ne "g"',
      "groups pr",
      'groups[value eq "g" and type eq "direct"]',
      'groups.value eq "g" or active eq true',
      'not (groups.value eq "g")',
      'groups.value eq "g" and groups.value eq "h"',
    ]) {
      const err = thrownScimError(checkUser(f));
      expect(err.scimType, f).toBe("invalidFilter");
      expect(err.message).toContain('groups.value eq "<groupId>"');
    }
    expect(thrownScimError(checkGroup('members.display eq "x"')).message).toContain('members[value eq "<userId>"]');
  });
});
