/**
 * What the provisioning log keeps of an error detail: attribute names,
 * schema URNs and protocol words stay; what the request sent — quoted or
 * not — and anything token-shaped goes.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_VENDOR_CONFIG } from "../../env.js";
import { loggableDetail, MAX_DETAIL, sentValues } from "./loggable-detail.js";

const none = new Set<string>();
const detail = (text: string, sent: Set<string> = none) => loggableDetail(text, sent, DEFAULT_VENDOR_CONFIG);

describe("loggableDetail", () => {
  it("keeps the names of attributes, sub-attributes, schemas and protocol keywords", () => {
    for (const text of [
      'Attribute "emails" must be an array; got an object',
      'Attribute "name.givenName" must be a string; got a boolean true',
      '"members[3]" must be an object with a non-empty string "value" (a user id)',
      '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager" expects an object',
      '"urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group:license" must be true, "true", "True", false, "false" or "False"',
      '"schemas" must include urn:ietf:params:scim:api:messages:2.0:PatchOp (RFC 7644 §3.5.2)',
      'Operations[0]: "op" must be add, replace or remove',
    ]) {
      expect(detail(text)).toBe(text);
    }
  });

  it("replaces every other quoted literal, whatever it looks like", () => {
    expect(detail('A user with userName "Jane.Doe@contoso.com" already exists in this tenant.')).toBe('A user with userName "…" already exists in this tenant.');
    expect(detail('userName domain "fabrikam.com" is not an allowed domain for this tenant')).toBe('userName domain "…" is not an allowed domain for this tenant');
    expect(detail("Invalid attribute path 'shoeSize' at position 1")).toBe('Invalid attribute path "…" at position 1');
    expect(detail('"active" expects a boolean value, got string "yes"')).toBe('"active" expects a boolean value, got string "…"');
    expect(detail('Unknown attribute "emails" in urn:x')).toBe('Unknown attribute "emails" in urn:x');
    expect(detail('"urn:acme:2.0:User:shoeSize" is not declared')).toBe('"…" is not declared');
  });

  it("replaces unquoted values the request sent, but not short ones or keywords", () => {
    const sent = new Set(["0190aaaa-bbbb", "jane-id-2", "5551234567", "ab", "members", "remove"]);
    expect(detail("Members must be users of this tenant; unknown: 0190aaaa-bbbb, jane-id-2. Nothing was applied.", sent)).toBe(
      "Members must be users of this tenant; unknown: …, …. Nothing was applied.",
    );
    expect(detail("got a number 5551234567 for members; remove ab", sent)).toBe("got a number … for members; remove ab");
  });

  it("removes tokens and bearer credentials, and caps the length", () => {
    expect(detail("token scim_abcDEF123-_x and scimat_zzz and scimcs_yyy")).toBe("token … and … and …");
    expect(detail("sent Bearer abc.def.ghi here")).toBe("sent Bearer … here");
    const long = detail("x".repeat(2000));
    expect(long).toHaveLength(MAX_DETAIL);
    expect(long.endsWith("…")).toBe(true);
  });
});

describe("sentValues", () => {
  it("collects the body's string and number values, not its keys", () => {
    const values = sentValues(JSON.stringify({ userName: "jane@contoso.com", emails: [{ value: "j@c.com", primary: true }], age: 42 }), new URLSearchParams());
    expect([...values].sort()).toEqual(["42", "j@c.com", "jane@contoso.com"]);
  });

  it("collects query values whole and as the tokens a filter error quotes", () => {
    const values = sentValues(undefined, new URLSearchParams({ filter: 'userName eq "jane@contoso.com" and (title pr)' }));
    for (const v of ['userName eq "jane@contoso.com" and (title pr)', "jane@contoso.com", "userName", "title"]) expect(values.has(v)).toBe(true);
  });

  it("survives a body that is not JSON or nests 20,000 levels deep", () => {
    expect(sentValues("{not json", new URLSearchParams()).size).toBe(0);
    const deep = `${'{"a":'.repeat(20_000)}"bottom"${"}".repeat(20_000)}`;
    expect(sentValues(deep, new URLSearchParams()).has("bottom")).toBe(true);
  });
});
