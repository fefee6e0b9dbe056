/**
 * Finds an equality the storage layer can answer from an index. The seek is
 * a necessary condition only: storage loads the candidates it selects and
 * still runs matchesFilter on each, so only top-level `and` conjuncts are
 * considered (a constraint under `or` or `not` is not necessary).
 */
import { ScimError } from "../errors.js";
import { USER_SCHEMA, GROUP_SCHEMA } from "../schema/urns.js";
import type { BoundFilter, BoundPath } from "./bind.js";
import { foldCase } from "../data-types.js";

/**
 * `value` is the literal as written. Storage applies the attribute's
 * caseExact: id and externalId compare exactly, userName, displayName,
 * emails.value through their folded keys; members.value (a group's user
 * ids) and groups.value (a user's group ids) are ids written by us and
 * compare exactly, through the memberships table.
 */
export type Seek = {
  kind: "id" | "userName" | "externalId" | "displayName" | "workEmail" | "memberValue" | "groupValue";
  value: string;
};

/**
 * Lower index = preferred. The membership seeks come first although they
 * may select more rows: memberships are not in the stored documents, so the
 * membership condition holds only for rows found through it (storage adds
 * it to what the filter sees); any other seek would leave it unanswerable.
 * Then the most selective, best indexed.
 */
const PREFERENCE: readonly Seek["kind"][] = ["memberValue", "groupValue", "id", "userName", "externalId", "workEmail", "displayName"];

/**
 * The attribute of each resource type that lists memberships (RFC 7643
 * §4.1.2 User `groups`, §4.2 Group `members`), the seek that answers it and
 * the form that seek accepts, for error details.
 */
const MEMBERSHIP: ReadonlyMap<string, { attribute: string; kind: Seek["kind"]; form: string }> = new Map([
  [USER_SCHEMA, { attribute: "groups", kind: "groupValue", form: 'groups.value eq "<groupId>" or groups[value eq "<groupId>"]' }],
  [GROUP_SCHEMA, { attribute: "members", kind: "memberValue", form: 'members[value eq "<userId>"] or members.value eq "<userId>"' }],
]);

const CORE_SCHEMAS: ReadonlySet<string> = new Set([USER_SCHEMA, GROUP_SCHEMA]);

function conjuncts(filter: BoundFilter): BoundFilter[] {
  return filter.kind === "and" ? [...conjuncts(filter.left), ...conjuncts(filter.right)] : [filter];
}

/** A core or common attribute at the resource level (not an extension's same-named one). */
function isCore(path: BoundPath, name: string): boolean {
  return path.scope === "resource" && !path.isExtension && CORE_SCHEMAS.has(path.schemaUrn) && path.attribute.name === name;
}

/** `sub eq "x"` inside a valuePath, returning "x". */
function elementEquality(filter: BoundFilter, sub: string): string | undefined {
  if (filter.kind !== "compare" || filter.op !== "eq" || typeof filter.value !== "string") return undefined;
  return filter.path.scope === "element" && filter.path.subAttribute?.name === sub ? filter.value : undefined;
}

function seekOf(filter: BoundFilter): Seek | undefined {
  if (filter.kind === "compare") {
    const { path, op, value } = filter;
    if (op !== "eq" || typeof value !== "string") return undefined;
    if (!path.subAttribute) {
      for (const kind of ["id", "userName", "externalId", "displayName"] as const) {
        if (isCore(path, kind)) return { kind, value };
      }
      return undefined;
    }
    // `members.value eq "x"` and PingFederate-style `members eq "x"` (bound to members.value); likewise `groups`.
    if (isCore(path, "members") && path.subAttribute.name === "value") return { kind: "memberValue", value };
    if (isCore(path, "groups") && path.subAttribute.name === "value") return { kind: "groupValue", value };
    return undefined;
  }
  if (filter.kind === "valuePath") {
    const inner = conjuncts(filter.filter);
    if (isCore(filter.path, "emails")) {
      // `emails[type eq "work" and value eq "x"]`, Entra's `emails[type eq "work"].value eq "x"`.
      const isWork = inner.some((c) => {
        const type = elementEquality(c, "type");
        return type !== undefined && foldCase(type) === "work";
      });
      const value = inner.map((c) => elementEquality(c, "value")).find((v) => v !== undefined);
      return isWork && value !== undefined ? { kind: "workEmail", value } : undefined;
    }
    // `members[value eq "x"]`, `groups[value eq "x"]`: the value equality alone, since a
    // membership row knows nothing else about the element (checkMembershipFilter).
    for (const [attribute, kind] of [["members", "memberValue"], ["groups", "groupValue"]] as const) {
      if (!isCore(filter.path, attribute)) continue;
      const value = elementEquality(filter.filter, "value");
      return value !== undefined ? { kind, value } : undefined;
    }
  }
  return undefined;
}

/**
 * The preferred indexed equality that every resource matching `filter`
 * satisfies, or undefined when the filter needs a scan.
 */
export function findSeek(filter: BoundFilter): Seek | undefined {
  let best: Seek | undefined;
  for (const conjunct of conjuncts(filter)) {
    const seek = seekOf(conjunct);
    if (seek && (!best || PREFERENCE.indexOf(seek.kind) < PREFERENCE.indexOf(best.kind))) best = seek;
  }
  return best;
}

function mentions(filter: BoundFilter, attribute: string): number {
  switch (filter.kind) {
    case "and":
    case "or":
      return mentions(filter.left, attribute) + mentions(filter.right, attribute);
    case "not":
      return mentions(filter.filter, attribute);
    default:
      return isCore(filter.path, attribute) ? 1 : 0;
  }
}

/**
 * Memberships live in their own table, never in the documents the filter
 * engine evaluates, so a filter may name the membership attribute (`groups`
 * of a User, `members` of a Group) only as one top-level `and` conjunct
 * `value eq "<id>"`, answered through the memberships primary key or its
 * user index. Anything else (`groups.display eq`, `groups.value co`, under
 * `or` or `not`, twice) would be evaluated against documents that never
 * hold it and answer a silent empty list; it is refused with invalidFilter
 * (RFC 7644 §3.4.2.2, §3.12) naming the supported form.
 */
export function checkMembershipFilter(filter: BoundFilter): void {
  for (const [schema, membership] of MEMBERSHIP) {
    const count = mentions(filter, membership.attribute);
    if (count === 0) continue;
    const answered = conjuncts(filter).some((c) => seekOf(c)?.kind === membership.kind);
    if (count === 1 && answered) continue;
    const resource = schema === USER_SCHEMA ? "Users" : "Groups";
    throw ScimError.invalidFilter(
      `Filters on ${membership.attribute} are supported only as ${membership.form} (once, optionally and-ed with other conditions); ${resource} are not filtered on other ${membership.attribute} conditions.`,
    );
  }
}
