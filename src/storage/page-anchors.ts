/**
 * Page anchors: where the deep pages of a tenant's plain id-order listing
 * begin. RFC 7644 pages by offset (startIndex), and an OFFSET skips every
 * entry before the page: an identity provider importing 100,000 users page by
 * page (Okta's import) would read 50 million index entries in all, and the
 * list engine refuses offsets past LIST_LIMITS.offset. Each full page served
 * in id order remembers the id it ended on; the next page (startIndex =
 * that position + 1) seeks past it and skips nothing.
 *
 * Kept in the isolate's memory (bounded), and — for positions deep enough
 * that the next page could not be served without one — in KV too
 * (`page-anchor:<tenantId>:<table>:<position>`, one hour), so an import whose
 * requests land on another isolate of the same location continues. An
 * anchor is a hint: rows added or deleted between pages shift positions, as
 * they shift any offset page (RFC 7644 §3.4.2.4 promises no consistency
 * across requests).
 */
import { LIST_LIMITS } from "./listing.js";

const MEMORY_LIMIT = 10_000;
const KV_TTL_SECONDS = 3600;
const memory = new Map<string, string>();

export interface PageAnchors {
  /** The id at `position` (1-based) in the table's id order, if remembered. */
  get(table: "users" | "groups", position: number): Promise<string | undefined>;
  remember(table: "users" | "groups", position: number, id: string): Promise<void>;
}

export function pageAnchors(kv: KVNamespace | undefined, tenantId: string): PageAnchors {
  const key = (table: string, position: number) => `page-anchor:${tenantId}:${table}:${position}`;
  // Deep enough that the page after it would be refused without an anchor.
  const durable = (position: number) => kv !== undefined && position >= LIST_LIMITS.offset / 2;
  return {
    async get(table, position) {
      const k = key(table, position);
      const known = memory.get(k);
      if (known !== undefined || !durable(position)) return known;
      return (await kv!.get(k)) ?? undefined;
    },
    async remember(table, position, id) {
      const k = key(table, position);
      memory.delete(k);
      memory.set(k, id);
      if (memory.size > MEMORY_LIMIT) memory.delete(memory.keys().next().value as string);
      if (durable(position)) await kv!.put(k, id, { expirationTtl: KV_TTL_SECONDS });
    },
  };
}
