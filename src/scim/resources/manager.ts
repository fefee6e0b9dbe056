import { ENTERPRISE_USER_SCHEMA } from "../schema/urns.js";
import { isPlainObject } from "../data-types.js";
import type { ScimObject, UserDoc } from "./types.js";

/** The enterprise `manager.value` of a user doc (RFC 7643 §4.3), if set. */
export function managerIdOf(doc: UserDoc): string | undefined {
  const enterprise = doc[ENTERPRISE_USER_SCHEMA];
  const manager = isPlainObject(enterprise) ? enterprise["manager"] : undefined;
  const value = isPlainObject(manager) ? manager["value"] : undefined;
  return typeof value === "string" ? value : undefined;
}

/**
 * The doc with `manager.displayName` set from the manager's own user
 * (RFC 7643 §4.3: displayName is readOnly, so a client-sent one was already
 * dropped by parsing), or removed when that user has none.
 */
export function withManagerDisplayName(doc: UserDoc, displayName: string | null): UserDoc {
  const enterprise = doc[ENTERPRISE_USER_SCHEMA];
  if (!isPlainObject(enterprise) || !isPlainObject(enterprise["manager"])) return doc;
  const manager: ScimObject = { ...enterprise["manager"] };
  delete manager["displayName"];
  if (displayName !== null) manager["displayName"] = displayName;
  return { ...doc, [ENTERPRISE_USER_SCHEMA]: { ...enterprise, manager } };
}

/** The manager's displayName as the stored doc holds it (kept while the manager stays the same). */
export function managerDisplayNameOf(doc: UserDoc): string | null {
  const enterprise = doc[ENTERPRISE_USER_SCHEMA];
  const manager = isPlainObject(enterprise) ? enterprise["manager"] : undefined;
  const name = isPlainObject(manager) ? manager["displayName"] : undefined;
  return typeof name === "string" ? name : null;
}
