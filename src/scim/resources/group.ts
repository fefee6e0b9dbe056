import type { VendorConfig } from "../../env.js";
import { ScimError } from "../errors.js";
import { findAttribute } from "../schema/index.js";
import type { AttributeDefinition, ResourceDefinition } from "../schema/index.js";
import { isPlainObject } from "../data-types.js";
import { MAX_STRING_LENGTH, isAbsent } from "./coerce.js";
import { foldCase } from "../data-types.js";
import { parseDocument, renderDocument } from "./document.js";
import type { AttributeCoercer } from "./document.js";
import type { GroupDoc, GroupMemberRef, ResourceMeta, ScimObject } from "./types.js";

/** displayName is Entra's matching and our uniqueness key for groups (Entra caps names at 256). */
export const MAX_GROUP_NAME_LENGTH = 256;

export interface ParsedGroup {
  doc: GroupDoc;
  /** Member user ids in order, without duplicates; undefined when the body has no `members`. */
  members: string[] | undefined;
  /** null when the body does not carry the licence attribute (see groupKeys). */
  licensing: boolean | null;
}

/**
 * The licence value: true, "true", "True" → licensing group; false, "false",
 * "False" → not; absent → null, decided by the caller (groupKeys). Exactly
 * these spellings (Entra's Switch() expression produces them); anything else
 * is 400.
 */
export function parseLicence(value: unknown): boolean | null {
  if (value === undefined || value === null) return null;
  if (value === true || value === "true" || value === "True") return true;
  if (value === false || value === "false" || value === "False") return false;
  throw ScimError.invalidValue(
    `The group licence must be true, "true", "True", false, "false" or "False"; got ${JSON.stringify(value) ?? String(value)}`,
  );
}

function licenceAttribute(def: ResourceDefinition, config: VendorConfig): AttributeDefinition | undefined {
  const urn = config.groupExtensionUrn.toLowerCase();
  const extension = def.extensions.find((s) => s.id.toLowerCase() === urn);
  return extension ? findAttribute(extension.attributes, config.groupLicenceAttribute) : undefined;
}

/**
 * The licence is kept in the doc as sent ("True" stays "True"): Entra
 * compares what we return with its source and re-sends any difference
 * every cycle.
 */
const licenceCoercer: AttributeCoercer = (value, path) => {
  if (isAbsent(value)) return undefined;
  try {
    parseLicence(value);
  } catch {
    throw ScimError.invalidValue(`Attribute "${path}" must be true, "true", "True", false, "false" or "False"`);
  }
  return value as boolean | string;
};

function parseGroupDocument(body: unknown, def: ResourceDefinition, config: VendorConfig, undeclared: "refuse" | "drop") {
  const licence = licenceAttribute(def, config);
  const custom = new Map<AttributeDefinition, AttributeCoercer>();
  if (licence) custom.set(licence, licenceCoercer);
  const { doc, extracted } = parseDocument(body, def, { extract: ["members"], custom, undeclared });
  const displayName = doc["displayName"];
  // RFC 7643 §4.2: displayName is REQUIRED.
  if (typeof displayName !== "string" || displayName.trim() === "") throw ScimError.invalidValue("displayName is required");
  if (displayName.length > MAX_GROUP_NAME_LENGTH) {
    throw ScimError.invalidValue(`displayName is longer than ${MAX_GROUP_NAME_LENGTH} characters`);
  }
  return { doc, extracted };
}

/**
 * POST/PUT /Groups body → doc, member ids and licence. Extra schemas a client
 * only lists in `schemas` (Entra adds Microsoft's ADSCIM Group schema) are
 * accepted; data under an undeclared schema is refused (parseDocument);
 * `members` never goes into the doc (membership table).
 */
export function parseGroupResource(body: unknown, def: ResourceDefinition, config: VendorConfig): ParsedGroup {
  const { doc, extracted } = parseGroupDocument(body, def, config, "refuse");
  const members = extracted.has("members") ? parseMembers(extracted.get("members")) : undefined;
  return { doc, members, licensing: groupKeys(doc, config).licensing };
}

/**
 * The checks of parseGroupResource on the doc a PATCH produced (members are
 * handled apart); stored data under a URN no longer declared is dropped, as
 * in validateUserDoc.
 */
export function validateGroupDoc(doc: unknown, def: ResourceDefinition, config: VendorConfig): { doc: GroupDoc } {
  return { doc: parseGroupDocument(doc, def, config, "drop").doc };
}

/**
 * `members` values → user ids, first occurrence kept. null / [] → [] (RFC
 * 7643 §2.5: unassigned); a single object is taken as a one-element array.
 * Each entry must be an object with a non-empty string `value` (key
 * case-insensitive; `$ref`, `display`, `type` are ignored — Entra sends
 * `"$ref": null`).
 */
export function parseMembers(value: unknown): string[] {
  if (isAbsent(value)) return [];
  const items: unknown[] = Array.isArray(value) ? value : [value];
  const ids: string[] = [];
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const entry = isPlainObject(item) ? Object.entries(item).find(([k]) => k.toLowerCase() === "value")?.[1] : undefined;
    if (typeof entry !== "string" || entry.trim() === "" || entry.length > MAX_STRING_LENGTH) {
      throw ScimError.invalidValue(`members[${i}] must be an object with a non-empty string "value" (a user id)`);
    }
    if (!seen.has(entry)) {
      seen.add(entry);
      ids.push(entry);
    }
  });
  return ids;
}

export interface GroupKeys {
  displayNameKey: string;
  externalId: string | null;
  /** null: the doc has no licence value and none was given for that case (a create: the tenant policy decides). */
  licensing: boolean | null;
}

/** The stored licence value of a doc, as sent ("True" stays "True"); undefined when absent. */
function licenceValue(doc: GroupDoc, config: VendorConfig): unknown {
  // The doc spells the extension key exactly as the schema id, which is config.groupExtensionUrn.
  const extension = doc[config.groupExtensionUrn];
  return isPlainObject(extension) ? extension[config.groupLicenceAttribute] : undefined;
}

/**
 * The values the storage layer indexes. An absent licence value takes
 * `licensingWhenAbsent`: the group's stored state on PUT and PATCH (an
 * identity provider that does not know the extension — Okta's group push —
 * must never flip a licence), null on create, where the tenant's
 * `licenceWhenAbsent` policy decides.
 */
export function groupKeys(doc: GroupDoc, config: VendorConfig, licensingWhenAbsent: boolean | null = null): GroupKeys {
  const displayName = doc["displayName"];
  const externalId = doc["externalId"];
  return {
    displayNameKey: foldCase(typeof displayName === "string" ? displayName : ""),
    externalId: typeof externalId === "string" ? externalId : null,
    licensing: parseLicence(licenceValue(doc, config)) ?? licensingWhenAbsent,
  };
}

/**
 * A PUT body without the licence value keeps the stored one (RFC 7644 §3.5.1
 * lets a server keep omitted attributes): the stored doc's value is carried
 * into the replacement so that GET shows what decides the licence.
 */
export function withStoredLicence(replacement: GroupDoc, stored: GroupDoc, config: VendorConfig): GroupDoc {
  if (licenceValue(replacement, config) !== undefined) return replacement;
  const kept = licenceValue(stored, config);
  if (kept === undefined) return replacement;
  const extension = replacement[config.groupExtensionUrn];
  return {
    ...replacement,
    [config.groupExtensionUrn]: { ...(isPlainObject(extension) ? extension : {}), [config.groupLicenceAttribute]: kept } as ScimObject,
  };
}

/**
 * SCIM JSON of a group. `members` undefined → omitted (the caller did not
 * read them because of excludedAttributes=members, which Entra relies on);
 * [] → `"members": []`, as in Microsoft's examples.
 */
export function renderGroup(
  doc: GroupDoc,
  meta: ResourceMeta,
  members: readonly GroupMemberRef[] | undefined,
  def: ResourceDefinition,
): Record<string, unknown> {
  const extra: Record<string, unknown> = members ? { members: members.map((m) => ({ ...m })) } : {};
  return renderDocument(doc, def, meta, extra);
}
