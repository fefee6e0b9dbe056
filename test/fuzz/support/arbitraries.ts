/**
 * Generators (fast-check arbitraries) of SCIM requests: filters, PATCH
 * bodies in every dialect, resources with wrong types, odd Unicode and huge
 * values, odd paging and query parameters, odd headers, media types,
 * methods, paths and credentials.
 *
 * A request refers to the world's resources through placeholders, resolved
 * just before it is sent (placeholders.ts): `@@userA:3@@` is the id of
 * tenant A's user number 3 (modulo how many there are then), `@@userB:0@@`
 * a user id of the *other* tenant, `@@nameA:1@@` an existing userName,
 * `@@etagU:2@@` a user's current ETag, `@@etagSelf@@` the current ETag of
 * the resource in the path. So a generated request means the same thing in
 * every replay, although ids are random. Huge and deeply nested values are
 * placeholders too (`@@huge:…@@`, `@@deep:…@@`), expanded only when sent,
 * so that a counterexample prints short.
 *
 * Most requests are what an identity provider would send, with one thing
 * wrong at most, so that runs reach deep states (licences granted,
 * downgraded, revived); the rest are chaos.
 *
 * Some requests carry an expectation that must hold whatever else happens:
 * an identity provider's filter is answered 200, a malformed filter 400
 * invalidFilter, another tenant's id 404, a bad credential 401.
 */
import fc from "fast-check";
import { ENTERPRISE_USER, GROUP_SCHEMA, LICENCE_EXT, PATCH_OP, USER_EXT, USER_SCHEMA, type TenantPolicy } from "./world.js";

export type Auth = "valid" | "double-bearer" | "lower-case" | "padded" | "other-tenant" | "wrong" | "missing" | "basic" | "empty";
export const VALID_AUTH: ReadonlySet<Auth> = new Set<Auth>(["valid", "double-bearer", "lower-case", "padded"]);

/** Which tenant's URL the request is sent to; the token is always A's (unless `auth` says otherwise). */
export type UrlTenant = "a" | "b" | "unknown" | "malformed";

export interface Expectation {
  status: number[];
  /** For a 4xx: the allowed scimType values (undefined = none). Unchecked when absent. */
  scimType?: Array<string | undefined>;
  why: string;
}

export type Encoding = "component" | "plus" | "raw" | "malformed";

export interface QueryParam {
  name: string;
  value: string;
  encoding: Encoding;
}

export interface FuzzRequest {
  /** Generator category, for the run's summary. */
  kind: string;
  method: string;
  /** After ".../scim/v2", with placeholders. */
  path: string;
  params: QueryParam[];
  headers: Record<string, string>;
  auth: Auth;
  tenant: UrlTenant;
  /** Raw body text, with placeholders. */
  body?: string;
  /** What a request with valid credentials on tenant A's URL must get. */
  expect?: Expectation;
}

// ---------------------------------------------------------------------------
// Scalars

/**
 * encodeURIComponent that also takes lone surrogates (which it refuses):
 * they become the percent-encoded bytes of their WTF-8 form, invalid UTF-8
 * a server must survive.
 */
export function encodeComponent(value: string): string {
  return value.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/g, (ch) => {
    if (ch.length === 1 && ch >= "\uD800" && ch <= "\uDFFF") {
      const c = ch.charCodeAt(0);
      return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join("");
    }
    return encodeURIComponent(ch);
  });
}

const pick = <T>(...values: T[]) => fc.constantFrom(...values);
const ref = (pool: "userA" | "groupA" | "userB" | "groupB" | "nameA" | "gnameA" | "etagU" | "etagG") => fc.nat({ max: 7 }).map((i) => `@@${pool}:${i}@@`);

/** Strings a careless or hostile client sends. */
const ODD_STRINGS = [
  "",
  " ",
  "\u0000",
  "\uD800",
  "\uDFFFx",
  "a\u0301",
  "Ａｂｃ",
  "ß",
  "İ",
  "ﬁ",
  "\u202Egnp.exe",
  "👩‍👩‍👧‍👦",
  "\u200B",
  "\r\n",
  "\t",
  "Robert'); DROP TABLE users;--",
  "%00",
  "%zz",
  "../../etc/passwd",
  "null",
  "true",
  "1e309",
  '"quoted"',
  "\\",
  "\\u0000",
  "<script>alert(1)</script>",
  "${jndi:ldap://x}",
  "[]",
  "{}",
  "?&=#",
];
export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: pick(...ODD_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }) },
);

/**
 * Long values: past column-ish sizes, past the filter limit (8 KiB), past the
 * body limit (1 MiB). Generated as a placeholder, `@@huge:<length>:<char>@@`,
 * expanded only when sent (placeholders.ts), so counterexamples stay short.
 */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(pick(300, 5_000, 9_000, 70_000, 1_100_000), pick("a", "é", "😀", " ", "ž"))
  .map(([n, c]) => `@@huge:${n}:${c}@@`);

/**
 * JSON nested deep enough to break a recursive walker, [[[…]]] or
 * {"a":{"a":…}}: a placeholder string that the sent body replaces, quotes
 * included, with the nesting (JSON.stringify itself would overflow).
 */
const deepJson: fc.Arbitrary<unknown> = fc.tuple(pick(50, 1_000, 20_000), pick("a", "o")).map(([depth, shape]) => `@@deep:${shape}:${depth}@@`);

const boolish = pick<unknown>(true, false, "True", "False", "true", "false", "TRUE", "yes", 1, 0, null, "", [], {}, [true]);
const licenceValue = pick<unknown>(true, false, "true", "True", "false", "False", "TRUE", "yes", 1, 0, null, "", { x: 1 }, [true]);

/** Any JSON value of the wrong shape for most attributes. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  pick<unknown>(42, -1, 1.5, 1e308, true, false, null, [], {}, [1, 2], { value: 1 }, [{ value: null }]),
  fc.jsonValue({ maxDepth: 2 }),
  oddString,
);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: oddString },
  { weight: 3, arbitrary: wrongType },
  { weight: 1, arbitrary: hugeString },
  { weight: 2, arbitrary: deepJson },
);

/** `arb` once in `n` draws, undefined otherwise. */
const oneIn = <T>(n: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
/** `arb` or undefined, even odds. */
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => oneIn(2, arb);
/** Drops the keys whose value is undefined (fc.record would keep none or all of them). */
const defined = <T extends Record<string, unknown>>(o: T): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

// ---------------------------------------------------------------------------
// Users and groups

const domainName = pick("contoso.com", "CONTOSO.com", "fabrikam.com", "xn--bcher-kva.example", "bücher.example");
const localPart = pick("u0", "u1", "u2", "u3", "U1", "ｕ1", "boss", "ann", "off", "new.user", "o'brien", "a+tag");
/** userNames collide on purpose (a small set, case and width variants): uniqueness is exercised and tenants stay small. */
const userName: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(localPart, domainName).map(([l, d]) => `${l}@${d}`) },
  { weight: 2, arbitrary: ref("nameA") },
  { weight: 2, arbitrary: oddString },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: wrongType },
);

const emailArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(localPart, domainName).map(([l, d]) => `${l}@${d}`) },
  { weight: 1, arbitrary: anyValue },
);

const emails: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.array(
      fc.record({ type: maybe(pick<unknown>("work", "home", "other", "WORK", "", 1, null)), value: emailArb, primary: maybe(boolish) }, { requiredKeys: [] }),
      { maxLength: 3 },
    ),
  },
  { weight: 1, arbitrary: fc.record({ type: pick("work"), value: emailArb }) },
  { weight: 1, arbitrary: wrongType },
);

/** manager as Entra and the RFC send it, with this tenant's, the other tenant's or no user's id. */
const managerId = fc.oneof({ weight: 4, arbitrary: ref("userA") }, { weight: 3, arbitrary: ref("userB") }, { weight: 1, arbitrary: pick("@@missing@@", "") }, { weight: 1, arbitrary: oddString });
const manager: fc.Arbitrary<unknown> = fc.oneof(
  managerId.map((value) => ({ value })),
  managerId,
  managerId.map((value) => [{ value }]),
  managerId.map((value) => ({ value, displayName: "Forged", $ref: `https://elsewhere.example/Users/${value}` })),
  wrongType,
);

const name: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ givenName: maybe(fc.oneof(pick("Ann", "Bob"), oddString)), familyName: maybe(fc.oneof(pick("Li", "O'Neil"), anyValue)), formatted: maybe(oddString) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: wrongType },
);

const undeclaredExtension = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";

/** Every attribute, each of any value: mostly refused. */
const chaosUser: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    schemas: fc.oneof(
      { weight: 6, arbitrary: pick<unknown>([USER_SCHEMA], [USER_SCHEMA, ENTERPRISE_USER, USER_EXT]) },
      { weight: 1, arbitrary: pick<unknown>([], "x", [USER_SCHEMA, undeclaredExtension], [GROUP_SCHEMA], [42]) },
    ),
    userName,
    active: boolish,
    displayName: fc.oneof(pick("Ann Li", "Bob"), oddString, hugeString, wrongType),
    name,
    emails,
    externalId: fc.oneof(pick("ext-1", "ext-off", "EXT-1"), oddString, wrongType),
    phoneNumbers: fc.oneof(fc.constant<unknown>([{ type: "mobile", value: "+33 6 00 00 00 00" }]), wrongType),
    addresses: fc.oneof(fc.constant<unknown>([{ type: "work", formatted: "18/2111", country: "FR" }]), wrongType),
    title: anyValue,
    locale: pick<unknown>("fr-FR", "", 1),
    password: pick<unknown>("Secr3t!", 1, null),
    [ENTERPRISE_USER]: fc.oneof(
      { weight: 4, arbitrary: fc.record({ manager, department: maybe(fc.oneof(pick("Retail"), anyValue)), employeeNumber: maybe(wrongType) }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: wrongType },
    ),
    [`${ENTERPRISE_USER}:department`]: fc.oneof(pick("Ops"), wrongType),
    [USER_EXT]: fc.oneof(
      { weight: 4, arbitrary: fc.record({ location: maybe(fc.oneof(pick("Paris", "Berlin", "Nowhere"), anyValue)), notificationPhoneNumber: maybe(anyValue) }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: wrongType },
    ),
    [undeclaredExtension]: fc.oneof(fc.constant<unknown>({ costCenter: "42" }), deepJson),
    [`${undeclaredExtension}:costCenter`]: fc.oneof(fc.constant<unknown>("42"), deepJson),
    id: pick<unknown>("@@userB:0@@", "my-own-id", 1),
    meta: pick<unknown>({ created: "1999-01-01T00:00:00Z", version: 'W/"forged"' }, "x"),
    groups: fc.oneof(ref("groupA"), ref("groupB")).map((value) => [{ value }]),
    noSuchAttribute: anyValue,
    deep: deepJson,
  },
  { requiredKeys: [] },
);

const memberRef = fc.oneof({ weight: 6, arbitrary: ref("userA") }, { weight: 3, arbitrary: ref("userB") }, { weight: 1, arbitrary: ref("groupA") }, { weight: 1, arbitrary: pick("@@missing@@", "") }, { weight: 1, arbitrary: oddString });
const member: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: memberRef.map((value) => ({ value })) },
  { weight: 2, arbitrary: fc.record({ value: memberRef, display: maybe(oddString), type: maybe(pick<unknown>("User", "Group", 1)), $ref: maybe(pick<unknown>(null, "https://x.example/Users/1")) }) },
  { weight: 1, arbitrary: memberRef },
  { weight: 1, arbitrary: wrongType },
);
const members: fc.Arbitrary<unknown> = fc.oneof({ weight: 6, arbitrary: fc.array(member, { maxLength: 5 }) }, { weight: 1, arbitrary: wrongType });
const groupName: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: pick("Pro", "Free", "PRO", "Ｐｒｏ", "G1", "G2", "Sales") },
  { weight: 1, arbitrary: ref("gnameA") },
  { weight: 2, arbitrary: oddString },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: wrongType },
);

const chaosGroup: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    schemas: fc.oneof({ weight: 6, arbitrary: pick<unknown>([GROUP_SCHEMA], [GROUP_SCHEMA, LICENCE_EXT]) }, { weight: 1, arbitrary: pick<unknown>([], [USER_SCHEMA], "x") }),
    displayName: groupName,
    members,
    externalId: fc.oneof(pick("g-ext"), oddString, wrongType),
    [LICENCE_EXT]: fc.oneof({ weight: 4, arbitrary: fc.record({ license: licenceValue }) }, { weight: 1, arbitrary: wrongType }),
    [`${LICENCE_EXT}:license`]: licenceValue,
    "urn:ietf:params:scim:schemas:extension:acme:2.0:Group": fc.constant<unknown>({ x: 1 }),
    id: pick<unknown>("@@groupB:0@@", 1),
    meta: pick<unknown>({ version: 'W/"forged"' }),
    deep: deepJson,
  },
  { requiredKeys: [] },
);

/** A plausible userName; a small set, so creates collide (uniqueness) and tenants stay small. */
const plausibleUserName = fc.tuple(pick("u0", "u1", "u2", "u3", "U1", "ｕ1", "ann", "new.user", "o'brien"), pick("contoso.com", "contoso.com", "CONTOSO.com", "fabrikam.com")).map(([l, d]) => `${l}@${d}`);
const plausibleText = pick("Ann Li", "Bob", "Zoë Ångström", "李小龍", "O'Neil", "", "Ops");
/** A user id for a reference: mostly tenant A's, sometimes tenant B's (must be refused), or none. */
const userRef = fc.oneof({ weight: 16, arbitrary: ref("userA") }, { weight: 3, arbitrary: ref("userB") }, { weight: 1, arbitrary: pick("@@missing@@") });
const goodLicence = pick<unknown>(true, false, "True", "False", "true", "false");

/** A user an identity provider would send. */
const goodUser: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    schemas: pick<unknown>([USER_SCHEMA], [USER_SCHEMA, ENTERPRISE_USER, USER_EXT]),
    userName: plausibleUserName,
    active: oneIn(4, pick<unknown>(true, false, "True", "False")),
    displayName: maybe(plausibleText),
    name: maybe(fc.record({ givenName: plausibleText, familyName: plausibleText })),
    emails: maybe(plausibleUserName.map((value) => [{ type: "work", value, primary: true }])),
    externalId: oneIn(3, pick("ext-1", "ext-2")),
    enterprise: oneIn(3, fc.record({ manager: userRef.map((value) => ({ value })), department: pick("Retail", "R&D") })),
    ext: oneIn(3, pick("Paris", "Berlin", "Nowhere").map((location) => ({ location }))),
  })
  .map(({ enterprise, ext, active, ...rest }) => defined({ ...rest, active: active ?? true, [ENTERPRISE_USER]: enterprise, [USER_EXT]: ext }));

const USER_KEYS = ["userName", "active", "displayName", "name", "emails", "externalId", "phoneNumbers", "addresses", "title", "schemas", ENTERPRISE_USER, USER_EXT, `${USER_EXT}:location`, undeclaredExtension, `${undeclaredExtension}:costCenter`, "groups", "id", "meta", "noSuchAttribute"];

/** A good user with one attribute of a wrong type, an odd or a huge value. */
const oneBadUser = fc.tuple(goodUser, pick(...USER_KEYS), anyValue).map(([u, k, v]) => ({ ...u, [k]: v }));

const userBody: fc.Arbitrary<Record<string, unknown>> = fc.oneof({ weight: 6, arbitrary: goodUser }, { weight: 3, arbitrary: oneBadUser }, { weight: 1, arbitrary: chaosUser });

const plausibleGroupName = pick("Pro", "Free", "PRO", "Ｐｒｏ", "G1", "G2", "Sales", "Ventes été");
const goodGroup: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    displayName: plausibleGroupName,
    members: fc.array(userRef.map((value) => ({ value })), { maxLength: 4 }),
    licence: maybe(goodLicence),
    externalId: oneIn(3, pick("g-ext", "g-ext-2")),
  })
  .map(({ licence, ...rest }) =>
    defined({ schemas: licence === undefined ? [GROUP_SCHEMA] : [GROUP_SCHEMA, LICENCE_EXT], ...rest, [LICENCE_EXT]: licence === undefined ? undefined : { license: licence } }),
  );
const GROUP_KEYS = ["displayName", "members", "externalId", "schemas", LICENCE_EXT, `${LICENCE_EXT}:license`, "urn:ietf:params:scim:schemas:extension:acme:2.0:Group", "id", "meta"];
const oneBadGroup = fc.tuple(goodGroup, pick(...GROUP_KEYS), fc.oneof(anyValue, members, licenceValue)).map(([g, k, v]) => ({ ...g, [k]: v }));
const groupBody: fc.Arbitrary<Record<string, unknown>> = fc.oneof({ weight: 6, arbitrary: goodGroup }, { weight: 3, arbitrary: oneBadGroup }, { weight: 1, arbitrary: chaosGroup });

// ---------------------------------------------------------------------------
// PATCH

const opName: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 10, arbitrary: pick("add", "replace", "remove", "Add", "Replace", "Remove") },
  { weight: 1, arbitrary: pick<unknown>("ADD", " replace ", "delete", "move", "", 1, null) },
);

const USER_PATHS = [
  "userName",
  "displayName",
  "active",
  "name",
  "name.givenName",
  "name.familyName",
  "emails",
  'emails[type eq "work"].value',
  'emails[type eq "work"]',
  'emails[type eq "work"].primary',
  'emails[value eq "ann@contoso.com"]',
  "phoneNumbers",
  'phoneNumbers[type eq "mobile"].value',
  'addresses[type eq "work"].formatted',
  "externalId",
  "title",
  "nickName",
  "roles",
  `${ENTERPRISE_USER}:manager`,
  `${ENTERPRISE_USER}:manager.value`,
  "manager",
  `${ENTERPRISE_USER}:department`,
  ENTERPRISE_USER,
  `${USER_EXT}:location`,
  `${USER_EXT}:notificationPhoneNumber`,
  USER_EXT,
  "groups",
  "id",
  "meta.created",
  "schemas",
  "password",
  `${undeclaredExtension}:costCenter`,
  "noSuchAttribute",
  'emails[type eq "work"',
  "emails[type eq]",
  "name..givenName",
  "emails[type eq \"work\"].value.x",
  'emails[type eq "work" and value co "@"].value',
  "   ",
];
const GROUP_PATHS = [
  "members",
  "displayName",
  "externalId",
  `${LICENCE_EXT}:license`,
  LICENCE_EXT,
  "members.value",
  "members[type eq \"User\"]",
  'members[value eq "x"',
  "members[value pr]",
  "id",
  "meta",
  "noSuchAttribute",
  "urn:ietf:params:scim:schemas:extension:acme:2.0:Group:x",
];

const pathArb = (paths: string[]) =>
  fc.oneof(
    { weight: 10, arbitrary: pick(...paths) },
    { weight: 3, arbitrary: fc.oneof(ref("userA"), ref("userB"), pick("@@missing@@")).map((id) => `members[value eq "${id}"]`) },
    { weight: 1, arbitrary: fc.oneof(ref("userA"), ref("userB")).map((id) => `${ENTERPRISE_USER}:manager[value eq "${id}"]`) },
    { weight: 1, arbitrary: oddString },
    { weight: 1, arbitrary: hugeString },
    { weight: 1, arbitrary: wrongType },
  );

const patchValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: pick<unknown>("Ann", "ann2@contoso.com", "True", "False", true, false, "Paris", "") },
  { weight: 2, arbitrary: fc.array(member, { maxLength: 4 }) },
  { weight: 2, arbitrary: manager },
  { weight: 1, arbitrary: emails },
  { weight: 1, arbitrary: licenceValue },
  { weight: 2, arbitrary: anyValue },
);

/** Path-less value objects: dotted, valuePath and URN-qualified keys, as Entra sends them. */
const VALUE_KEYS = [
  "active",
  "displayName",
  "userName",
  "name.givenName",
  "name",
  'emails[type eq "work"].value',
  "externalId",
  `${ENTERPRISE_USER}:department`,
  `${ENTERPRISE_USER}:manager`,
  ENTERPRISE_USER,
  `${USER_EXT}:location`,
  `${LICENCE_EXT}:license`,
  LICENCE_EXT,
  "members",
  "groups",
  "id",
  "meta",
  `${undeclaredExtension}:x`,
  "noSuch",
];
const valueObject = fc.dictionary(pick(...VALUE_KEYS), patchValue, { maxKeys: 4 });

/** Any operation: odd op names, any path (valid, invalid, huge), any value, capitalised keys. */
const chaosOperation = (paths: string[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.record({ op: opName, path: pathArb(paths), value: patchValue }, { requiredKeys: ["op", "path"] }) },
    { weight: 3, arbitrary: fc.record({ op: pick("replace", "Replace", "add", "Add"), value: valueObject }) },
    { weight: 1, arbitrary: fc.record({ Op: opName, Path: pathArb(paths), Value: patchValue }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: wrongType },
  );

const Op = (...ops: string[]) => pick(...ops);
/** What Entra (both dialects) and Okta send to a user. */
const goodUserOperation: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ op: Op("Replace", "replace"), path: pick("active"), value: pick<unknown>(true, false, "True", "False") }),
  fc.record({ op: Op("Replace", "replace", "Add", "add"), path: pick("displayName", "name.givenName", "name.familyName", "title", `${USER_EXT}:location`, `${ENTERPRISE_USER}:department`), value: plausibleText }),
  fc.record({ op: Op("Replace", "Add"), path: pick('emails[type eq "work"].value'), value: plausibleUserName }),
  fc.record({ op: Op("Replace", "replace"), path: pick("userName"), value: plausibleUserName }),
  fc.record({ op: Op("Add", "Replace", "replace"), path: pick(`${ENTERPRISE_USER}:manager`), value: fc.oneof(userRef, userRef.map((value) => ({ value })), userRef.map((value) => [{ value }])) }),
  fc.record({ op: Op("Remove", "remove"), path: pick("title", "nickName", `${ENTERPRISE_USER}:manager`, 'emails[type eq "work"]', "name.givenName", `${USER_EXT}:location`) }),
  fc.record({ op: Op("add"), path: pick("emails"), value: fc.constant([{ type: "home", value: "ann@home.example" }]) }),
  fc
    .record({ active: oneIn(2, pick<unknown>(true, false, "False")), displayName: maybe(plausibleText), given: maybe(plausibleText), location: oneIn(3, pick("Paris", "Lyon")) })
    .map(({ given, location, ...v }) => ({ op: "replace", value: defined({ ...v, "name.givenName": given, [`${USER_EXT}:location`]: location }) })),
);
const memberList = fc.array(userRef.map((value) => ({ value })), { minLength: 1, maxLength: 3 });
/** What Entra and Okta send to a group: member deltas, licence flips, renames. */
const goodGroupOperation: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: Op("Add", "add"), path: pick("members"), value: memberList }) },
  { weight: 2, arbitrary: fc.record({ op: Op("Remove", "remove"), path: pick("members"), value: memberList }) },
  { weight: 2, arbitrary: fc.record({ op: Op("Remove", "remove"), path: userRef.map((id) => `members[value eq "${id}"]`) }) },
  { weight: 1, arbitrary: fc.record({ op: Op("replace", "Replace"), path: pick("members"), value: fc.array(userRef.map((value) => ({ value })), { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: Op("remove"), path: pick("members") }) },
  { weight: 3, arbitrary: fc.record({ op: Op("Replace", "replace", "Add"), path: pick(`${LICENCE_EXT}:license`), value: goodLicence }) },
  { weight: 1, arbitrary: fc.record({ op: Op("replace", "Replace"), path: pick("displayName"), value: plausibleGroupName }) },
  { weight: 1, arbitrary: fc.record({ op: Op("replace"), path: pick("externalId"), value: pick("g-ext", "g-ext-2") }) },
  { weight: 1, arbitrary: fc.tuple(maybe(plausibleGroupName), maybe(goodLicence)).map(([displayName, licence]) => ({ op: "replace", value: defined({ displayName, [`${LICENCE_EXT}:license`]: licence }) })) },
);

const operation = (paths: string[], good: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 7, arbitrary: good }, { weight: 2, arbitrary: chaosOperation(paths) }, { weight: 1, arbitrary: chaosOperation(USER_PATHS.concat(GROUP_PATHS)) });

const patchBody = (paths: string[], good: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => {
  const ops = fc.array(operation(paths, good), { maxLength: 4 });
  return fc.oneof(
    { weight: 20, arbitrary: ops.map((Operations) => ({ schemas: [PATCH_OP], Operations })) },
    { weight: 2, arbitrary: ops.map((Operations) => ({ Operations })) },
    { weight: 1, arbitrary: ops.map((operations) => ({ schemas: [PATCH_OP.toUpperCase()], operations })) },
    { weight: 1, arbitrary: fc.tuple(pick<unknown>([], "x", [USER_SCHEMA], [1], null), ops).map(([schemas, Operations]) => ({ schemas, Operations })) },
    { weight: 1, arbitrary: fc.record({ schemas: fc.constant([PATCH_OP]), Operations: wrongType }) },
    { weight: 1, arbitrary: wrongType },
  );
};

// ---------------------------------------------------------------------------
// Bodies as text: JSON, broken JSON, huge JSON

export const bodyText = (value: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 30, arbitrary: value.map((v) => JSON.stringify(v) ?? "null") },
    { weight: 1, arbitrary: value.map((v) => `\uFEFF${JSON.stringify(v)}`) },
    { weight: 1, arbitrary: fc.tuple(value, fc.nat({ max: 100 })).map(([v, n]) => (JSON.stringify(v) ?? "").slice(0, n)) },
    { weight: 1, arbitrary: pick("", "   ", "null", "[]", '"string"', "1", "{'single': 'quotes'}", '{"a":1,}', "{", "\u0000", '{"schemas":') },
  );

// ---------------------------------------------------------------------------
// Filters

const USER_ATTRS = [
  "userName",
  "externalId",
  "id",
  "displayName",
  "active",
  "emails.value",
  'emails[type eq "work"].value',
  "emails.type",
  "emails",
  "name.familyName",
  "name.givenName",
  "name",
  "meta.created",
  "meta.lastModified",
  "meta.resourceType",
  "title",
  "groups.value",
  "groups",
  "members",
  `${ENTERPRISE_USER}:manager.value`,
  `${ENTERPRISE_USER}:department`,
  `${USER_EXT}:location`,
  "USERNAME",
  "emails[primary eq true].value",
  "phoneNumbers.value",
  "x509Certificates.value",
  "password",
  "schemas",
  "noSuch",
  `${undeclaredExtension}:x`,
];
const GROUP_ATTRS = ["displayName", "externalId", "id", "members", "members.value", "members.display", "meta.created", `${LICENCE_EXT}:license`, "DISPLAYNAME", "noSuch"];

const compareOp = fc.oneof({ weight: 10, arbitrary: pick("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le") }, { weight: 1, arbitrary: pick("EQ", "Eq", "Co") });
const compValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(ref("nameA"), ref("userA"), ref("userB"), ref("groupA"), ref("gnameA")).map((v) => `"${v}"`) },
  { weight: 2, arbitrary: pick('"ann@contoso.com"', '"Pro"', '"ext-off"', '"2026-01-01T00:00:00Z"', '"a"', '""', "true", "false", "null", "42", "-1.5e3") },
  { weight: 2, arbitrary: oddString.map((s) => JSON.stringify(s)) },
);

const attrExpr = (attrs: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.tuple(pick(...attrs), compareOp, compValue).map(([a, op, v]) => `${a} ${op} ${v}`) },
    { weight: 1, arbitrary: pick(...attrs).map((a) => `${a} pr`) },
    { weight: 2, arbitrary: fc.tuple(pick("emails", "members", "groups", "addresses"), pick("type", "value", "primary"), compareOp, compValue).map(([a, s, op, v]) => `${a}[${s} ${op} ${v}]`) },
  );

/** Valid and near-valid filter expressions, combined with and / or / not / parentheses. */
const filterExpr = (attrs: string[]): fc.Arbitrary<string> =>
  fc.letrec<{ f: string }>((tie) => ({
    f: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      { weight: 4, arbitrary: attrExpr(attrs) },
      { weight: 1, arbitrary: fc.tuple(tie("f"), pick("and", "or", "AND", "Or"), tie("f")).map(([l, op, r]) => `${l} ${op} ${r}`) },
      { weight: 1, arbitrary: tie("f").map((f) => `not (${f})`) },
      { weight: 1, arbitrary: tie("f").map((f) => `(${f})`) },
    ),
  })).f;

/** Filters Entra and Okta send, which must be answered 200. */
const idpUserFilter = fc.oneof(
  ref("nameA").map((n) => `userName eq "${n}"`),
  pick('userName eq "nobody-7f3a@contoso.com"', 'externalId eq "ext-off"', 'emails[type eq "work"].value eq "ann@contoso.com"', 'userName eq "ANN@CONTOSO.COM"'),
  ref("userA").map((id) => `id eq "${id}"`),
  ref("userB").map((id) => `id eq "${id}"`),
  ref("groupA").map((id) => `groups.value eq "${id}"`),
);
const idpGroupFilter = fc.oneof(
  ref("gnameA").map((n) => `displayName eq "${n}"`),
  pick('displayName eq "Pro"', 'displayName eq "nobody"', 'externalId eq "g-ext"'),
  ref("groupA").map((id) => `id eq "${id}"`),
  fc.oneof(ref("userA"), ref("userB")).map((id) => `members[value eq "${id}"]`),
);

/** Syntax errors by construction: each must be 400 invalidFilter. */
const brokenFilter: fc.Arbitrary<string> = fc.oneof(
  pick(
    "userName eq",
    'userName xq "a"',
    'userName eq "abc',
    '(userName eq "a"',
    'userName eq "a")',
    'userName eq "a" and',
    'and userName eq "a"',
    'userName eq "a" or or userName eq "b"',
    "()",
    'user..Name eq "a"',
    '1userName eq "a"',
    'emails[type eq "work".value eq "a"',
    'emails[type eq "work"]]',
    'userName pr "a"',
    '"a"',
    "eq",
    'userName eq "a" userName eq "b"',
    'userName eq "bad \\q escape"',
    "urn:: eq 1",
    'emails[type eq "work"][value eq "x"]',
    "   ",
  ),
  fc.tuple(pick("userName", "displayName"), oddString.filter((s) => !/\s/.test(s) && s.length > 0 && !/^(?:eq|ne|co|sw|ew|gt|ge|lt|le|pr)$/i.test(s))).map(([a, op]) => `${a} ${op}x "v"`),
);

/** Past the limits: nested deeper than 50, longer than 8 KiB. */
const oversizedFilter: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 51, max: 5_000 }).map((d) => `${"(".repeat(d)}userName eq "a"${")".repeat(d)}`),
  fc.integer({ min: 51, max: 3_000 }).map((d) => `${"not (".repeat(d)}userName eq "a"${")".repeat(d)}`),
  fc.integer({ min: 300, max: 3_000 }).map((n) => Array.from({ length: n }, (_, i) => `userName eq "user${i}@contoso.com"`).join(" or ")),
  pick(9_000, 70_000).map((n) => `userName eq "@@huge:${n}:a@@"`),
);

// ---------------------------------------------------------------------------
// Query parameters

const encoding: fc.Arbitrary<Encoding> = fc.oneof({ weight: 20, arbitrary: pick<Encoding>("component", "plus") }, { weight: 1, arbitrary: pick<Encoding>("raw", "malformed") });
const oddNumber = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 12 }).map(String) },
  { weight: 1, arbitrary: pick("", "abc", "1.5", "1e3", "99999999999999999999", " 2 ", "0x10", "NaN", "Infinity", "-0", "٣", "200", "201", "100000", "+5") },
);
const attributeList = fc.oneof(
  { weight: 3, arbitrary: pick("userName", "userName,emails", "members", "groups", "name.givenName", "displayName,members", `${USER_EXT}:location`, "meta", "id", "", ",,,", 'emails[type eq "work"]', "urn:", "MEMBERS") },
  { weight: 1, arbitrary: oddString },
);
const sortBy = fc.oneof(
  { weight: 3, arbitrary: pick("userName", "displayName", "name.familyName", "meta.created", "emails", "emails.value", "id", "externalId", "noSuch", "", "members", "groups", `${ENTERPRISE_USER}:manager.value`) },
  { weight: 1, arbitrary: oddString },
);

interface PagingParams {
  params: QueryParam[];
  /** Only parameters that may never change the status: paging numbers, projection. */
  benign: boolean;
}
const param = (name: string, value: fc.Arbitrary<string>, enc: fc.Arbitrary<Encoding> = encoding) => fc.tuple(value, enc).map(([v, e]): QueryParam => ({ name, value: v, encoding: e }));
const pagingParams: fc.Arbitrary<PagingParams> = fc
  .tuple(
    oneIn(3, param("startIndex", oddNumber)),
    oneIn(3, param("count", oddNumber)),
    oneIn(6, param("sortBy", sortBy)),
    oneIn(8, param("sortOrder", fc.oneof(pick("ascending", "DESCENDING", "sideways", ""), oddString))),
    oneIn(4, param("attributes", attributeList)),
    oneIn(3, param("excludedAttributes", attributeList)),
    oneIn(5, param("aadOptscim062020", fc.constant(""), fc.constant<Encoding>("raw"))),
    oneIn(12, param("startIndex", oddNumber)),
  )
  .map((all) => {
    const params = all.filter((p): p is QueryParam => p !== undefined);
    return { params, benign: params.every((p) => ["startIndex", "count", "attributes", "excludedAttributes", "aadOptscim062020"].includes(p.name) && p.encoding !== "malformed") };
  });

// ---------------------------------------------------------------------------
// Requests

const JSON_TYPE = "application/scim+json";
const base = (r: Omit<FuzzRequest, "params" | "headers" | "auth" | "tenant"> & Partial<FuzzRequest>): FuzzRequest => ({
  params: [],
  headers: r.body !== undefined ? { "content-type": JSON_TYPE } : {},
  auth: "valid",
  tenant: "a",
  ...r,
});

type Resource = "Users" | "Groups";
const resource = pick<Resource>("Users", "Groups");
const selfRef = (res: Resource) => (res === "Users" ? ref("userA") : ref("groupA"));
const otherRef = (res: Resource) => (res === "Users" ? ref("userB") : ref("groupB"));

/** GET /Users or /Groups with a filter of every kind and odd paging. */
const listRequest: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    resource,
    fc.oneof(
      { weight: 4, arbitrary: fc.constant("idp") },
      { weight: 5, arbitrary: fc.constant("valid") },
      { weight: 3, arbitrary: fc.constant("broken") },
      { weight: 1, arbitrary: fc.constant("oversized") },
      { weight: 2, arbitrary: fc.constant("garbage") },
      { weight: 1, arbitrary: fc.constant("none") },
    ),
    pagingParams,
    encoding,
  )
  .chain(([res, flavour, paging, enc]) => {
    const attrs = res === "Users" ? USER_ATTRS : GROUP_ATTRS;
    const filter: fc.Arbitrary<string | undefined> =
      flavour === "idp"
        ? res === "Users"
          ? idpUserFilter
          : idpGroupFilter
        : flavour === "valid"
          ? filterExpr(attrs)
          : flavour === "broken"
            ? brokenFilter
            : flavour === "oversized"
              ? oversizedFilter
              : flavour === "garbage"
                ? fc.oneof(oddString, fc.string({ unit: "binary", maxLength: 200 }))
                : fc.constant(undefined);
    return filter.map((f): FuzzRequest => {
      const params = [...paging.params];
      if (f !== undefined) params.unshift({ name: "filter", value: f, encoding: enc });
      const clean = paging.benign && (enc === "component" || enc === "plus");
      let expect: Expectation | undefined;
      if (clean && (flavour === "idp" || flavour === "none")) expect = { status: [200], why: "an identity provider's list request is answered in full" };
      if (clean && flavour === "broken") expect = { status: [400], scimType: ["invalidFilter"], why: "a malformed filter is 400 invalidFilter" };
      if (clean && flavour === "oversized") expect = { status: [400], scimType: ["invalidFilter", "tooMany"], why: "a filter past the limits is refused as a filter" };
      if (clean && (flavour === "valid" || flavour === "garbage")) {
        expect = { status: [200, 400], scimType: ["invalidFilter", "tooMany"], why: "a list whose only odd parameter is its filter fails, if at all, on the filter" };
      }
      const req = base({ kind: `list ${flavour}`, method: "GET", path: `/${res}`, params });
      if (expect) req.expect = expect;
      return req;
    });
  });

/** POST /.search with the parameters in the body, of any JSON type. */
const searchRequest: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    resource,
    fc.record(
      {
        filter: fc.oneof(filterExpr(USER_ATTRS), brokenFilter, wrongType),
        startIndex: fc.oneof(fc.integer({ min: -2, max: 5 }), wrongType),
        count: fc.oneof(fc.integer({ min: -2, max: 300 }), wrongType),
        sortBy: fc.oneof(sortBy, wrongType),
        sortOrder: fc.oneof(pick("ascending", "descending", "x"), wrongType),
        attributes: fc.oneof(fc.array(attributeList, { maxLength: 3 }), wrongType),
        excludedAttributes: fc.oneof(fc.array(attributeList, { maxLength: 3 }), wrongType),
        schemas: pick<unknown>(["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "x"),
        FILTER: filterExpr(USER_ATTRS),
      },
      { requiredKeys: [] },
    ),
  )
  .chain(([res, params]) => bodyText(fc.constant(params)).map((body) => base({ kind: "search", method: "POST", path: `/${res}/.search`, body })));

const getOne: fc.Arbitrary<FuzzRequest> = resource.chain((res) =>
  fc
    .tuple(fc.oneof({ weight: 4, arbitrary: selfRef(res) }, { weight: 2, arbitrary: otherRef(res) }, { weight: 1, arbitrary: pick("@@missing@@") }, { weight: 1, arbitrary: oddString.map(encodeComponent) }), pagingParams)
    .map(([id, paging]) => {
      const req = base({ kind: "get", method: "GET", path: `/${res}/${id}`, params: paging.params.filter((p) => p.name === "attributes" || p.name === "excludedAttributes") });
      if (id.startsWith("@@userB") || id.startsWith("@@groupB") || id === "@@missing@@") req.expect = { status: [404], scimType: [undefined], why: "another tenant's (or no) resource is not found" };
      return req;
    }),
);

const createRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  bodyText(userBody).map((body) => base({ kind: "create user", method: "POST", path: "/Users", body })),
  bodyText(groupBody).map((body) => base({ kind: "create group", method: "POST", path: "/Groups", body })),
);

const targetId = (res: Resource) => fc.oneof({ weight: 8, arbitrary: selfRef(res) }, { weight: 2, arbitrary: otherRef(res) }, { weight: 1, arbitrary: pick("@@missing@@") });

const replaceRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.tuple(targetId("Users"), bodyText(userBody)).map(([id, body]) => base({ kind: "put user", method: "PUT", path: `/Users/${id}`, body })),
  fc.tuple(targetId("Groups"), bodyText(groupBody)).map(([id, body]) => base({ kind: "put group", method: "PUT", path: `/Groups/${id}`, body })),
);

const patchRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(targetId("Users"), bodyText(patchBody(USER_PATHS, goodUserOperation))).map(([id, body]) => base({ kind: "patch user", method: "PATCH", path: `/Users/${id}`, body })) },
  { weight: 2, arbitrary: fc.tuple(targetId("Groups"), bodyText(patchBody(GROUP_PATHS, goodGroupOperation))).map(([id, body]) => base({ kind: "patch group", method: "PATCH", path: `/Groups/${id}`, body })) },
);

const deleteRequest: fc.Arbitrary<FuzzRequest> = resource.chain((res) =>
  targetId(res).map((id) => {
    const req = base({ kind: "delete", method: "DELETE", path: `/${res}/${id}` });
    if (id.startsWith("@@userB") || id.startsWith("@@groupB") || id === "@@missing@@") req.expect = { status: [404], scimType: [undefined], why: "another tenant's (or no) resource cannot be deleted" };
    return req;
  }),
);

/** Discovery, unknown endpoints, odd methods. */
const otherRequest: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    pick(
      "/ServiceProviderConfig",
      "/serviceConfiguration",
      "/ResourceTypes",
      "/ResourceTypes/User",
      "/ResourceTypes/Nope",
      "/Schemas",
      `/Schemas/${USER_SCHEMA}`,
      "/Schemas/urn:nope",
      "/Bulk",
      "/Me",
      "/",
      "",
      "/Users/.search",
      "/Users/@@userA:0@@/extra",
      "/Users/%2e%2e",
      "/Users/%00",
      "/Users/@@userA:1@@%20",
      "/Groups/@@groupA:0@@/members",
      "/%F0%9F%98%80",
    ),
    pick("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "patch", "PROPFIND"),
    bodyText(fc.jsonValue({ maxDepth: 2 })),
  )
  .map(([path, method, body]) => base(method === "GET" || method === "HEAD" ? { kind: "other", method, path } : { kind: "other", method, path, body }));

const requestCore: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 6, arbitrary: listRequest },
  { weight: 1, arbitrary: searchRequest },
  { weight: 2, arbitrary: getOne },
  { weight: 4, arbitrary: createRequest },
  { weight: 2, arbitrary: replaceRequest },
  { weight: 6, arbitrary: patchRequest },
  { weight: 1, arbitrary: deleteRequest },
  { weight: 1, arbitrary: otherRequest },
);

// ---------------------------------------------------------------------------
// Noise: credentials, URL tenant, headers, path spelling

interface Noise {
  auth: Auth;
  tenant: UrlTenant;
  contentType?: string;
  ifMatch?: string;
  accept?: string;
  pathStyle: "exact" | "lower-case" | "double-slash" | "trailing-slash";
}

const noise: fc.Arbitrary<Noise> = fc
  .record({
    auth: fc.oneof({ weight: 40, arbitrary: pick<Auth>("valid") }, { weight: 3, arbitrary: pick<Auth>("double-bearer", "lower-case", "padded") }, { weight: 3, arbitrary: pick<Auth>("other-tenant", "wrong", "missing", "basic", "empty") }),
    tenant: fc.oneof({ weight: 60, arbitrary: pick<UrlTenant>("a") }, { weight: 1, arbitrary: pick<UrlTenant>("b", "unknown", "malformed") }),
    contentType: oneIn(
      10,
      pick(
        "application/json",
        "application/scim+json; charset=utf-8",
        "text/json",
        "APPLICATION/SCIM+JSON",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "",
        "application/json-patch+json",
        "garbage/;;;",
      ),
    ),
    ifMatch: oneIn(8, fc.oneof({ weight: 3, arbitrary: pick("@@etagSelf@@") }, { weight: 1, arbitrary: fc.oneof(ref("etagU"), ref("etagG")) }, { weight: 3, arbitrary: pick("*", 'W/"stale"', '"stale"', "garbage, ,", 'W/"a", W/"b"', "", "W/", '""', "@@etagSelf@@, W/\"x\"") })),
    accept: oneIn(10, pick("application/scim+json", "text/html", "*/*", "application/xml;q=0.9, */*;q=0.1")),
    pathStyle: fc.oneof({ weight: 12, arbitrary: pick<Noise["pathStyle"]>("exact") }, { weight: 1, arbitrary: pick<Noise["pathStyle"]>("lower-case", "double-slash", "trailing-slash") }),
  })
  .map((n) => defined(n) as unknown as Noise);

function applyNoise(req: FuzzRequest, n: Noise): FuzzRequest {
  // B's token on B's URL would be a valid request to B, which must never change: A's token instead.
  const auth = n.tenant === "b" && n.auth === "other-tenant" ? "valid" : n.auth;
  const out: FuzzRequest = { ...req, headers: { ...req.headers }, auth, tenant: n.tenant };
  if (n.contentType !== undefined) {
    out.headers["content-type"] = n.contentType;
    if (req.body !== undefined) delete out.expect;
  }
  if (n.ifMatch !== undefined) out.headers["if-match"] = n.ifMatch;
  if (n.accept !== undefined) out.headers.accept = n.accept;
  if (n.pathStyle === "lower-case") out.path = out.path.replace(/^\/(Users|Groups)/, (_m, r: string) => `/${r.toLowerCase()}`);
  if (n.pathStyle === "double-slash") out.path = `/${out.path}`;
  if (n.pathStyle === "trailing-slash") out.path = `${out.path}/`;
  if (out.tenant === "malformed") out.expect = { status: [400, 401, 404, 413, 429], why: "a malformed tenant id is refused" };
  // 429: repeated authentication failures may be throttled (with a SCIM error body, like a 401).
  else if (!VALID_AUTH.has(out.auth) || out.tenant !== "a") out.expect = { status: [401, 429], scimType: [undefined], why: "a bad credential, or A's token on another tenant's URL, is 401" };
  return out;
}

export const requestArb: fc.Arbitrary<FuzzRequest> = fc.tuple(requestCore, noise).map(([r, n]) => applyNoise(r, n));

export const policyArb: fc.Arbitrary<TenantPolicy> = fc.record({
  allowedDomains: pick<string[]>([], ["contoso.com"]),
  locations: pick<string[]>([], ["Paris", "Berlin"]),
  licenceWhenAbsent: pick<"pro" | "free">("pro", "free"),
  proGraceHours: pick(0, 1, 23),
});
