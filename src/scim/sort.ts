/** Sorting (RFC 7644 §3.4.2.3): the key a resource sorts by. Pure. */
import { foldCase } from "./data-types.js";
import type { ResolvedPath } from "./schema/index.js";

/** `sortBy`'s canonical name in lower case, e.g. "name.familyname" or "<urn>:employeenumber". */
export function sortName(path: ResolvedPath): string {
  if (!path.attribute) return "";
  if (path.isExtension) return `${path.schema.id}:${path.attribute.name}`.toLowerCase();
  return (path.subAttribute ? `${path.attribute.name}.${path.subAttribute.name}` : path.attribute.name).toLowerCase();
}

/**
 * The value `resource` sorts by: a multi-valued attribute by its primary
 * (else first) value; strings folded unless caseExact; booleans as 0/1;
 * undefined when unassigned (sorts last).
 */
export function sortValue(resource: Record<string, unknown>, path: ResolvedPath): string | number | undefined {
  if (!path.attribute) return undefined;
  const holder = path.isExtension ? (resource[path.schema.id] as Record<string, unknown> | undefined) : resource;
  let value: unknown = holder?.[path.attribute.name];
  if (Array.isArray(value)) {
    const list = value as Array<Record<string, unknown>>;
    value = list.find((v) => v && typeof v === "object" && v.primary === true) ?? list[0];
  }
  const sub = path.subAttribute?.name ?? (value && typeof value === "object" ? "value" : undefined);
  if (sub && value && typeof value === "object") value = (value as Record<string, unknown>)[sub];
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "string") return undefined;
  const caseExact = (path.subAttribute ?? path.attribute).caseExact;
  return caseExact ? value : foldCase(value);
}
