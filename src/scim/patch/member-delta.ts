/**
 * Group `members` operations folded into one delta, so a PATCH touching
 * 1,000 members becomes a batch of inserts/deletes instead of a rewrite of
 * the member list: the cost follows the members named, not the group's size.
 */
import { ScimError } from "../errors.js";
import type { FilterNode, PatchPath } from "../filter/ast.js";
import { GROUP_SCHEMA } from "../schema/urns.js";
import type { ResourceDefinition } from "../schema/types.js";
import { isPlainObject } from "../data-types.js";
import type { PatchOperation } from "./parse.js";

export interface MemberDelta {
  /** The member list is reset to `add` (replace, or remove without value/filter). */
  replaceAll: boolean;
  /** Member ids to add (deduplicated, in first-seen order). */
  add: string[];
  /** Member ids to remove; always empty when `replaceAll`. */
  remove: string[];
}

function isMembersAttribute(path: PatchPath["path"]): boolean {
  if (path.attribute.toLowerCase() !== "members") return false;
  return path.urn === undefined || path.urn.toLowerCase() === GROUP_SCHEMA.toLowerCase();
}

/**
 * True when `op` targets a Group's `members` by path: the group route hands
 * those to foldMemberOperations, and applyPatch refuses them.
 */
export function isMembersPath(op: PatchOperation, resource: ResourceDefinition): boolean {
  return resource.name === "Group" && op.path !== undefined && isMembersAttribute(op.path.path);
}

/** The key of a path-less value object that names `members`, if any. */
export function membersKey(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const urnPrefix = `${GROUP_SCHEMA.toLowerCase()}:`;
  return Object.keys(value).find((key) => {
    const lower = key.toLowerCase();
    return lower === "members" || lower === `${urnPrefix}members`;
  });
}

/** Member ids of an add/replace/remove value: `[{value: "id", $ref?, display?, type?}]` or one such object. */
function memberIds(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((entry: unknown) => {
    const id = isPlainObject(entry) ? Object.entries(entry).find(([k]) => k.toLowerCase() === "value")?.[1] : undefined;
    if (typeof id !== "string" || id.trim() === "") {
      throw ScimError.invalidValue('A member must be an object with a string "value" (the member\'s id)');
    }
    return id.trim();
  });
}

/**
 * Ids named by `members[value eq "a"]` or `members[value eq "a" or value eq "b"]`
 * (Entra's `aadOptscim062020` dialect and Okta's group push). Other
 * filters would need the stored member list, which this delta avoids reading.
 */
function filterIds(filter: FilterNode): string[] {
  switch (filter.kind) {
    case "or":
      return [...filterIds(filter.left), ...filterIds(filter.right)];
    case "compare":
      if (
        filter.op === "eq" &&
        filter.path.urn === undefined &&
        filter.path.subAttribute === undefined &&
        filter.path.attribute.toLowerCase() === "value" &&
        typeof filter.value === "string"
      ) {
        return [filter.value];
      }
      break;
    default:
      break;
  }
  throw ScimError.invalidPath('Only members[value eq "id"] filters (optionally joined with "or") are supported');
}

class DeltaBuilder {
  replaceAll = false;
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();

  add(ids: string[]): void {
    for (const id of ids) {
      this.added.add(id);
      this.removed.delete(id);
    }
  }

  remove(ids: string[]): void {
    for (const id of ids) {
      this.added.delete(id);
      // After a reset the list is exactly `added`: nothing else to remove.
      if (!this.replaceAll) this.removed.add(id);
    }
  }

  reset(ids: string[]): void {
    this.replaceAll = true;
    this.added.clear();
    this.removed.clear();
    this.add(ids);
  }

  build(): MemberDelta {
    return { replaceAll: this.replaceAll, add: [...this.added], remove: [...this.removed] };
  }
}

function foldPathOperation(delta: DeltaBuilder, op: PatchOperation, path: PatchPath): void {
  const raw = op.rawPath ?? "members";
  if (path.path.subAttribute !== undefined || path.subAttribute !== undefined) {
    throw ScimError.invalidPath(`"${raw}": member sub-attributes cannot be patched`);
  }
  if (path.filter) {
    if (op.op !== "remove") throw ScimError.invalidPath(`"${raw}": only "remove" accepts a members filter`);
    delta.remove(filterIds(path.filter));
    return;
  }
  switch (op.op) {
    case "add":
      delta.add(memberIds(op.value));
      return;
    case "replace":
      // RFC 7644 §3.5.2.3: replace without filter replaces the whole set (Okta full push).
      delta.reset(memberIds(op.value));
      return;
    case "remove":
      if (op.value === undefined || op.value === null) {
        // RFC 7644 §3.5.2.2: remove without value/filter clears all (Microsoft's SCIMReferenceCode
        // Postman collection, "Patch remove all users").
        delta.reset([]);
      } else {
        // Entra's default dialect: Remove + value removes ONLY those members.
        // Treating it as "remove all" empties the group
        // (https://github.com/MicrosoftDocs/azure-docs/issues/30826).
        delta.remove(memberIds(op.value));
      }
      return;
  }
}

/**
 * Splits the `members` operations out of a Group PATCH and folds them, in
 * order, into one delta; every other operation is returned unchanged and in
 * order for applyPatch. A path-less add/replace whose value has a `members`
 * key is split: the members part folds here, the rest stays an operation
 * (Okta's group push sends `{"op":"replace","value":{"id":…,"displayName":…}}`).
 */
export function foldMemberOperations(ops: PatchOperation[]): { memberOps: MemberDelta | undefined; otherOps: PatchOperation[] } {
  const delta = new DeltaBuilder();
  let touched = false;
  const otherOps: PatchOperation[] = [];

  for (const op of ops) {
    if (op.path) {
      if (isMembersAttribute(op.path.path)) {
        foldPathOperation(delta, op, op.path);
        touched = true;
      } else {
        otherOps.push(op);
      }
      continue;
    }
    const key = membersKey(op.value);
    if (key === undefined || !isPlainObject(op.value)) {
      otherOps.push(op);
      continue;
    }
    const { [key]: members, ...rest } = op.value;
    foldPathOperation(delta, { op: op.op, value: members }, { path: { attribute: "members" } });
    touched = true;
    if (Object.keys(rest).length > 0) otherOps.push({ ...op, value: rest });
  }
  return { memberOps: touched ? delta.build() : undefined, otherOps };
}
