/**
 * What one delivery run sends to one endpoint. Pure.
 *
 * An endpoint has a position in the feed (its cursor: the tenant's
 * `sequence` for a tenant endpoint, the global order for an all-tenants
 * one): every event at or below it was delivered, or was of a type the
 * endpoint does not subscribe to. A run reads the events after it, in order,
 * and sends the subscribed ones one at a time; the cursor moves past an event
 * only once the receiver acknowledged it (or it was filtered out). So events
 * reach an endpoint in order, at least once, and a crash anywhere between the
 * change and the acknowledgement delays an event but never loses it: the
 * event is in the log (the outbox), the cursor still before it.
 */

/** An event as the planner needs it: its position in the endpoint's feed and its type. */
export interface Positioned {
  position: number;
  type: string;
}

export interface DeliveryStep<E> {
  event: E;
  /** The cursor to record if this send fails: past the unsubscribed events before it, not past it. */
  cursorBefore: number;
  /** The cursor to record once the receiver acknowledged it. */
  cursorAfter: number;
}

export interface DeliveryPlan<E> {
  sends: Array<DeliveryStep<E>>;
  /** The cursor once every send succeeded: past trailing unsubscribed events too, never past an unsent subscribed one. */
  cursorAtEnd: number;
  /** Unsubscribed events the cursor passes over. */
  skipped: number;
}

/**
 * The sends of one run: the subscribed events of `page` (events after
 * `cursor`, in position order), at most `maxSends`.
 */
export function planDeliveries<E extends Positioned>(cursor: number, page: readonly E[], types: readonly string[] | null, maxSends: number): DeliveryPlan<E> {
  const wanted = types === null ? null : new Set(types);
  const sends: Array<DeliveryStep<E>> = [];
  let position = cursor;
  let skipped = 0;
  for (const event of page) {
    if (event.position <= position) continue; // Defensive: never go back, never send twice in one run.
    if (wanted !== null && !wanted.has(event.type)) {
      position = event.position;
      skipped += 1;
      continue;
    }
    if (sends.length >= maxSends) break;
    sends.push({ event, cursorBefore: position, cursorAfter: event.position });
    position = event.position;
  }
  return { sends, cursorAtEnd: position, skipped };
}

/**
 * Where an endpoint resumes when retention pruned events it had not got
 * (it failed for longer than EVENT_RETENTION_DAYS): past what is gone, with
 * how many positions were lost, for the listing and the error log line.
 */
export function resumeAfterPruning(cursor: number, prunedThrough: number): { cursor: number; expired: number } {
  return prunedThrough > cursor ? { cursor: prunedThrough, expired: prunedThrough - cursor } : { cursor, expired: 0 };
}

/** Standard Webhooks, "Delivery success and failure": a 2xx acknowledges; anything else (3xx included) is a failure. */
export function isAcknowledged(status: number): boolean {
  return status >= 200 && status <= 299;
}
