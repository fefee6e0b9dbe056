/**
 * Feed cursors: opaque to consumers, stable (a cursor names a position in
 * the feed, not a page), and tied to the feed they came from — a tenant's
 * cursor counts that tenant's sequence, the all-tenants cursor the global
 * order. base64url of "v1:<t|g>:<position>".
 */
export type FeedScope = "tenant" | "global";

export class InvalidCursor extends Error {}

export function encodeCursor(scope: FeedScope, position: number): string {
  return btoa(`v1:${scope === "tenant" ? "t" : "g"}:${position}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The position a cursor names; no cursor → the beginning (0). */
export function decodeCursor(scope: FeedScope, cursor: string | undefined): number {
  if (cursor === undefined || cursor === "") return 0;
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new InvalidCursor("is not a cursor of this feed");
  }
  const match = /^v1:([tg]):(\d{1,15})$/.exec(text);
  if (!match || (match[1] === "t") !== (scope === "tenant")) throw new InvalidCursor("is not a cursor of this feed");
  return Number(match[2]);
}
