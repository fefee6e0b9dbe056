/**
 * Finds an equality the storage layer can answer from an index. The seek is
 * a necessary condition only: storage loads the candidates it selects and
 * still runs matchesFilter on each, so only top-level `and` conjuncts are
 * considered (a constraint under `or` or `not` is not necessary).
 */
import { USER_SCHEMA, GROUP_SCHEMA } from "../schema/urns.js";
import type { BoundFilter, BoundPath } from "./bind.js";
import { foldCase } from "./evaluate.js";

/**
 * `value` is the literal as written. Storage applies the attribute's
 * caseExact: id and externalId compare exactly, userName, displayName,
 * emails.value (and members.value, an id written by us) through their
 * folded keys.
 */
export type Seek = {
  kind: "id" | "userName" | "externalId" | "displayName" | "workEmail" | "memberValue";
  value: string;
};

/** Lower index = preferred (most selective / best indexed first). */
const PREFERENCE: readonly Seek["kind"][] = ["id", "userName", "externalId", "workEmail", "displayName", "memberValue"];

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
    // `members.value eq "x"` and PingFederate-style `members eq "x"` (bound to members.value).
    if (isCore(path, "members") && path.subAttribute.name === "value") return { kind: "memberValue", value };
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
    if (isCore(filter.path, "members")) {
      const value = inner.map((c) => elementEquality(c, "value")).find((v) => v !== undefined);
      return value !== undefined ? { kind: "memberValue", value } : undefined;
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
