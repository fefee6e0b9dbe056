/**
 * What the provisioning log may keep of a SCIM error's detail. Details are
 * written for the identity provider's admin and quote what the request sent:
 * `A user with userName "jane@contoso.com" already exists`, `got a string
 * "…"`, `unknown: <member ids>`, a filter's tokens. The log keeps no request
 * body and no query string (personal data), so neither may come back through
 * the detail. Two passes, both pure:
 *
 * 1. Every quoted literal ("…" or '…') becomes "…" unless it names an
 *    attribute, sub-attribute or schema of the tenant's resource types, or a
 *    protocol keyword (RFC 7643 §2.1 names; RFC 7644 §3.4.2.2 operators;
 *    §3.5.2 PatchOp members): what was wrong stays readable
 *    (`Attribute "emails" must be …`), the value that was does not. This
 *    also covers values derived from what was sent, such as the domain of a
 *    userName.
 * 2. Any value the request sent — a string or number of the JSON body, a
 *    query parameter or a token of it — still present unquoted is replaced
 *    too (member ids in a list, a number in `got a number 5551234`).
 *
 * Tokens of this service (`scim_…`, `scimat_…`, `scimcs_…`) and bearer
 * credentials are removed whatever their place, and the result is capped.
 */
import type { VendorConfig } from "../../env.js";
import { commonAttributes, LIST_RESPONSE_SCHEMA, PATCH_OP_SCHEMA, resourceDefinitions, SEARCH_REQUEST_SCHEMA, type AttributeDefinition } from "../../scim/schema/index.js";
import { ERROR_SCHEMA } from "../../scim/errors.js";

export const MAX_DETAIL = 500;
export const REDACTED = "…";
/** Values shorter than this are left alone: replacing "a" or "1" everywhere would garble every detail and protect nothing. */
const MIN_VALUE_LENGTH = 3;
/** Bounds the work on a large body: its first values are the ones a detail quotes. */
const MAX_VALUES = 5000;

const KEYWORDS = [
  // RFC 7644 §3.5.2 (PatchOp) and §3.4.3 (SearchRequest) members and operations.
  "schemas", "Operations", "op", "path", "value", "add", "replace", "remove",
  "attributes", "excludedAttributes", "filter", "sortBy", "sortOrder", "startIndex", "count",
  // RFC 7644 §3.4.2.2 filter operators.
  "eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "pr", "and", "or", "not",
  // Booleans as Entra spells them, and the SCIM message URNs.
  "true", "false", PATCH_OP_SCHEMA, LIST_RESPONSE_SCHEMA, SEARCH_REQUEST_SCHEMA, ERROR_SCHEMA,
];

const knownCache = new Map<string, { names: Set<string>; urns: string[] }>();

/** Lower-cased attribute names and schema URNs of the tenant's resource types, and the protocol keywords. */
function knownNames(config: VendorConfig): { names: Set<string>; urns: string[] } {
  const key = JSON.stringify(config);
  const cached = knownCache.get(key);
  if (cached) return cached;
  const names = new Set<string>(KEYWORDS.map((k) => k.toLowerCase()));
  const urns: string[] = [PATCH_OP_SCHEMA, LIST_RESPONSE_SCHEMA, SEARCH_REQUEST_SCHEMA, ERROR_SCHEMA].map((u) => u.toLowerCase());
  const addAttributes = (list: readonly AttributeDefinition[] | undefined) => {
    for (const a of list ?? []) {
      names.add(a.name.toLowerCase());
      addAttributes(a.subAttributes);
    }
  };
  const defs = resourceDefinitions(config);
  for (const def of [defs.user, defs.group]) {
    for (const schema of [def.core, ...def.extensions]) {
      names.add(schema.id.toLowerCase());
      urns.push(schema.id.toLowerCase());
      addAttributes(schema.attributes);
    }
  }
  addAttributes(commonAttributes);
  // Longest first, so a URN that extends another is matched whole.
  const known = { names, urns: urns.sort((a, b) => b.length - a.length) };
  knownCache.set(key, known);
  return known;
}

/** `name`, `name.sub`, `name[3]`, `name[3].sub`, each optionally after a known schema URN and ":". */
function isKnownPath(literal: string, known: { names: Set<string>; urns: string[] }): boolean {
  let rest = literal.toLowerCase();
  if (known.names.has(rest)) return true;
  if (rest.startsWith("urn:")) {
    const urn = known.urns.find((u) => rest.startsWith(`${u}:`));
    if (!urn) return false;
    rest = rest.slice(urn.length + 1);
  }
  const segments = rest.replace(/\[\d+\]/g, "").split(".");
  return segments.length <= 2 && segments.every((s) => known.names.has(s));
}

/** The string and number values of a JSON text (not its keys), iteratively: a body may nest deep. */
function jsonValues(text: string, out: Set<string>): void {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return; // Not JSON: its error ("not valid JSON") quotes nothing of it.
  }
  const stack: unknown[] = [root];
  while (stack.length > 0 && out.size < MAX_VALUES) {
    const v = stack.pop();
    if (typeof v === "string") out.add(v);
    else if (typeof v === "number") out.add(String(v));
    else if (Array.isArray(v)) stack.push(...v);
    else if (v !== null && typeof v === "object") stack.push(...Object.values(v));
  }
}

/** Query parameter values, whole and split into the tokens a filter error quotes back. */
function queryValues(search: URLSearchParams, out: Set<string>): void {
  for (const value of search.values()) {
    out.add(value);
    for (const quoted of value.matchAll(/"((?:[^"\\]|\\.)*)"/g)) if (quoted[1] !== undefined) out.add(quoted[1]);
    for (const token of value.split(/[\s()[\]"]+/)) out.add(token);
  }
}

/** What a request sent: the values pass 2 takes out of a detail. */
export function sentValues(bodyText: string | undefined, search: URLSearchParams): Set<string> {
  const out = new Set<string>();
  if (bodyText !== undefined && bodyText !== "") jsonValues(bodyText, out);
  queryValues(search, out);
  return out;
}

/** Our token shapes and bearer credentials, wherever they appear (README, "Entra app gallery"). */
export function withoutSecrets(text: string): string {
  return text
    .replace(/\bscim(?:at|cs)?_[A-Za-z0-9_-]+/g, REDACTED)
    .replace(/\bbearer\s+\S+/gi, `Bearer ${REDACTED}`);
}

export function loggableDetail(detail: string, sent: ReadonlySet<string>, config: VendorConfig): string {
  const known = knownNames(config);
  // Pass 1: quoted literals.
  let text = detail.replace(/"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'/g, (whole, dq: string | undefined, sq: string | undefined) =>
    isKnownPath(dq ?? sq ?? "", known) ? whole : `"${REDACTED}"`,
  );
  // Pass 2: anything else the request sent, longest first so a value is not left half-replaced by a shorter one inside it.
  const values = [...sent].filter((v) => v.length >= MIN_VALUE_LENGTH && !known.names.has(v.toLowerCase())).sort((a, b) => b.length - a.length);
  for (const v of values) if (text.includes(v)) text = text.split(v).join(REDACTED);
  text = withoutSecrets(text);
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}${REDACTED}` : text;
}
