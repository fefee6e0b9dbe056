import { ScimError } from "../errors.js";
import type { ResourceDefinition } from "../schema/index.js";
import { isPlainObject } from "../data-types.js";
import { foldCase } from "../data-types.js";
import { parseDocument, renderDocument } from "./document.js";
import type { ResourceMeta, UserDoc, UserGroupRef } from "./types.js";

/** userName is the matching and uniqueness key; Entra's UPN is at most 113 characters. */
export const MAX_USER_NAME_LENGTH = 256;

/**
 * The doc of a POST or PUT /Users body (RFC 7644 §3.3, §3.5.1). Client-sent
 * `id`, `meta`, `groups` and `schemas` are ignored; `password` is dropped —
 * it is write-only and this server stores no password at all (Okta sends a
 * random one on create). See parseDocument for the rest.
 */
export function parseUserResource(body: unknown, def: ResourceDefinition): UserDoc {
  return checkUser(parseDocument(body, def).doc);
}

/**
 * The same checks on the doc a PATCH produced (userName still present, types
 * right). Stored data under a URN no longer declared is dropped, not refused:
 * applyPatch already refused any the client sent (see ParseDocumentOptions).
 */
export function validateUserDoc(doc: unknown, def: ResourceDefinition): UserDoc {
  return checkUser(parseDocument(doc, def, { undeclared: "drop" }).doc);
}

function checkUser(doc: UserDoc): UserDoc {
  const userName = doc["userName"];
  // RFC 7643 §4.1.1: userName is REQUIRED (Microsoft's SCIMReferenceCode Postman collection: "Put a user no username" → 400).
  if (typeof userName !== "string" || userName.trim() === "") throw ScimError.invalidValue("userName is required");
  if (userName.length > MAX_USER_NAME_LENGTH) {
    throw ScimError.invalidValue(`userName is longer than ${MAX_USER_NAME_LENGTH} characters`);
  }
  return doc;
}

export interface UserKeys {
  /** NFKC + lower case: userName is caseExact false (RFC 7643 §4.1.1). */
  userNameKey: string;
  externalId: string | null;
  /** The folded value of the first email whose type is "work". */
  workEmailKey: string | null;
  active: boolean;
  displayName: string | null;
}

/** The values the storage layer indexes. */
export function userKeys(doc: UserDoc): UserKeys {
  const userName = doc["userName"];
  const externalId = doc["externalId"];
  const displayName = doc["displayName"];
  const active = doc["active"];
  let workEmailKey: string | null = null;
  const emails = doc["emails"];
  if (Array.isArray(emails)) {
    for (const email of emails) {
      if (!isPlainObject(email)) continue;
      const type = email["type"];
      const value = email["value"];
      if (typeof type === "string" && type.toLowerCase() === "work" && typeof value === "string") {
        workEmailKey = foldCase(value);
        break;
      }
    }
  }
  return {
    userNameKey: foldCase(typeof userName === "string" ? userName : ""),
    externalId: typeof externalId === "string" ? externalId : null,
    workEmailKey,
    // RFC 7643 leaves an absent `active` to the server. Entra and Okta always
    // create with active true, and a client that omits it means "a user",
    // not "a disabled user", so absent counts as active (and holds licences).
    active: typeof active === "boolean" ? active : true,
    displayName: typeof displayName === "string" ? displayName : null,
  };
}

/**
 * SCIM JSON of a user. `groups` is omitted when the user is in no group
 * (RFC 7643 §2.5: unassigned may be omitted; Entra and Okta don't read it).
 */
export function renderUser(
  doc: UserDoc,
  meta: ResourceMeta,
  groups: readonly UserGroupRef[],
  def: ResourceDefinition,
): Record<string, unknown> {
  const extra: Record<string, unknown> = groups.length > 0 ? { groups: groups.map((g) => ({ ...g })) } : {};
  return renderDocument(doc, def, meta, extra);
}
