/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) applied to a
 * rendered resource. Also used for POST/PUT/PATCH responses.
 */
import { extensionForKey, findAttribute, resolvePath, topLevelAttributes } from "./schema/index.js";
import type { AttributeDefinition, ResourceDefinition, SchemaDefinition } from "./schema/index.js";

export interface AttributeQuery {
  attributes?: string[] | undefined;
  excludedAttributes?: string[] | undefined;
}

/**
 * A comma-separated attribute list (query parameter, or the string array of
 * a SearchRequest) → trimmed names, or undefined when none. Commas inside a
 * `[...]` filter or a quoted string do not split.
 */
export function parseAttributeList(param: string | undefined | string[]): string[] | undefined {
  if (param === undefined) return undefined;
  const names: string[] = [];
  for (const part of Array.isArray(param) ? param : [param]) {
    if (typeof part !== "string") continue;
    let depth = 0;
    let quoted = false;
    let start = 0;
    for (let i = 0; i <= part.length; i++) {
      const ch = part[i];
      if (ch === '"' && part[i - 1] !== "\\") quoted = !quoted;
      else if (!quoted && ch === "[") depth++;
      else if (!quoted && ch === "]") depth = Math.max(0, depth - 1);
      else if (ch === undefined || (ch === "," && !quoted && depth === 0)) {
        const name = part.slice(start, i).trim();
        if (name !== "") names.push(name);
        start = i + 1;
      }
    }
  }
  return names.length > 0 ? names : undefined;
}

interface Selector {
  schema: SchemaDefinition;
  isExtension: boolean;
  /** undefined: the whole extension (`urn:…:enterprise:2.0:User`). */
  attribute?: AttributeDefinition;
  subAttribute?: AttributeDefinition;
}

/**
 * `emails[type eq "work"]` (sent by Microsoft's reference suite) is read as
 * `emails`, `emails[type eq "work"].value` as `emails.value`. Unknown names
 * are ignored (the RFC does not make them an error).
 */
function selectors(def: ResourceDefinition, names: readonly string[] | undefined): Selector[] {
  const out: Selector[] = [];
  for (const name of names ?? []) {
    const resolved = resolvePath(def, stripValueFilter(name));
    if (resolved) out.push(resolved);
  }
  return out;
}

function stripValueFilter(name: string): string {
  const open = name.indexOf("[");
  if (open < 0) return name.trim();
  const close = name.lastIndexOf("]");
  return (name.slice(0, open) + (close > open ? name.slice(close + 1) : "")).trim();
}

type Coverage = "all" | Set<AttributeDefinition> | undefined;

/** Which part of `attr` (in `schema`) the selectors name: all of it, some sub-attributes, or nothing. */
function coverage(list: readonly Selector[], schema: SchemaDefinition, attr: AttributeDefinition): Coverage {
  let subs: Set<AttributeDefinition> | undefined;
  for (const s of list) {
    if (s.schema !== schema) continue;
    if (!s.attribute || s.attribute === attr) {
      if (!s.attribute || !s.subAttribute) return "all";
      (subs ??= new Set()).add(s.subAttribute);
    }
  }
  return subs;
}

function pickSubs(value: unknown, keep: (name: string) => boolean): unknown {
  const pick = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (keep(k)) out[k] = x;
    return out;
  };
  if (Array.isArray(value)) {
    const items = value.map(pick).filter((v) => !(typeof v === "object" && v !== null && Object.keys(v).length === 0));
    return items.length > 0 ? items : undefined;
  }
  const picked = pick(value);
  return typeof picked === "object" && picked !== null && Object.keys(picked).length === 0 ? undefined : picked;
}

function projectAttribute(
  schema: SchemaDefinition,
  attr: AttributeDefinition,
  value: unknown,
  include: Selector[] | undefined,
  exclude: Selector[],
): unknown {
  if (attr.returned === "never") return undefined;
  // returned: always can be neither left out nor excluded (RFC 7643 §7).
  if (attr.returned === "always") return value;
  let result: unknown = value;
  if (include) {
    const inc = coverage(include, schema, attr);
    if (inc === undefined) return undefined;
    if (inc !== "all") {
      const names = new Set([...inc].map((s) => s.name));
      const always = new Set((attr.subAttributes ?? []).filter((s) => s.returned === "always").map((s) => s.name));
      result = pickSubs(result, (k) => names.has(k) || always.has(k));
    }
  } else if (attr.returned === "request") {
    return undefined;
  }
  if (result === undefined) return undefined;
  const exc = coverage(exclude, schema, attr);
  if (exc === "all") return undefined;
  if (exc) {
    const names = new Set([...exc].filter((s) => s.returned !== "always").map((s) => s.name));
    result = pickSubs(result, (k) => !names.has(k));
  }
  return result;
}

/**
 * Projects a rendered resource. `schemas` and `id` (returned: always) are
 * always kept; `returned: never` never appears; `returned: request` only
 * when named in `attributes`. When both lists are given (the RFC does not
 * say), `attributes` selects and `excludedAttributes` then removes.
 */
export function project(
  resource: Record<string, unknown>,
  def: ResourceDefinition,
  query: AttributeQuery,
): Record<string, unknown> {
  const include = query.attributes && query.attributes.length > 0 ? selectors(def, query.attributes) : undefined;
  const exclude = selectors(def, query.excludedAttributes);
  const top = topLevelAttributes(def);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (key === "schemas") {
      out[key] = value;
      continue;
    }
    const extension = extensionForKey(def, key);
    if (extension) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) continue;
      const inner: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const attr = findAttribute(extension.attributes, k);
        if (!attr) continue;
        const projected = projectAttribute(extension, attr, v, include, exclude);
        if (projected !== undefined) inner[k] = projected;
      }
      if (Object.keys(inner).length > 0) out[key] = inner;
      continue;
    }
    const attr = findAttribute(top, key);
    if (!attr) continue;
    const projected = projectAttribute(def.core, attr, value, include, exclude);
    if (projected !== undefined) out[key] = projected;
  }
  return out;
}

/**
 * Whether the query leaves `attributeName` out entirely, so a route can skip
 * reading it (group members: Entra sends excludedAttributes=members, and
 * members come back only when they would be returned).
 */
export function isExcluded(query: AttributeQuery, attributeName: string, def: ResourceDefinition): boolean {
  const resolved = resolvePath(def, attributeName);
  const attr = resolved?.attribute;
  if (!resolved || !attr) return false;
  if (attr.returned === "never") return true;
  if (attr.returned === "always") return false;
  const include = query.attributes && query.attributes.length > 0 ? selectors(def, query.attributes) : undefined;
  if (include && coverage(include, resolved.schema, attr) === undefined) return true;
  if (!include && attr.returned === "request") return true;
  return coverage(selectors(def, query.excludedAttributes), resolved.schema, attr) === "all";
}
