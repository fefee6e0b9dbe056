/**
 * Cursors of the provisioning log's pages: opaque to the admin, base64url of
 * "v1:<kind>:<position>". A request-log cursor names a place in the tenant's
 * log (request time, then request id); a history cursor names one in each of
 * the two streams it merges (the user's events by sequence, its requests by
 * time). Request ids are [A-Za-z0-9_=-] (hono/request-id), so ":" separates.
 */
import type { LogPosition } from "../storage/request-log.js";

export class InvalidLogCursor extends Error {
  constructor() {
    super("is not a cursor of this log");
  }
}

const encode = (text: string): string => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function decode(cursor: string): string {
  try {
    return atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new InvalidLogCursor();
  }
}

const REQUEST_ID = "[A-Za-z0-9_=-]{0,255}";

export function encodeRequestCursor(p: LogPosition): string {
  return encode(`v1:r:${p.at}:${p.requestId}`);
}

export function decodeRequestCursor(cursor: string): LogPosition {
  const m = new RegExp(`^v1:r:(\\d{1,16}):(${REQUEST_ID})$`).exec(decode(cursor));
  if (!m) throw new InvalidLogCursor();
  return { at: Number(m[1]), requestId: m[2] ?? "" };
}

export interface HistoryPosition {
  /** Events with a smaller tenant sequence number come next. */
  eventsBefore: number;
  /** Requests strictly older than this come next. */
  requestsBefore: LogPosition;
}

export function encodeHistoryCursor(p: HistoryPosition): string {
  return encode(`v1:h:${p.eventsBefore}:${p.requestsBefore.at}:${p.requestsBefore.requestId}`);
}

export function decodeHistoryCursor(cursor: string): HistoryPosition {
  const m = new RegExp(`^v1:h:(\\d{1,16}):(\\d{1,16}):(${REQUEST_ID})$`).exec(decode(cursor));
  if (!m) throw new InvalidLogCursor();
  return { eventsBefore: Number(m[1]), requestsBefore: { at: Number(m[2]), requestId: m[3] ?? "" } };
}
