/**
 * What one delivery run sends to one endpoint. Pure.
 *
 * An endpoint has a position in the feed (its cursor: the tenant's
 * `sequence` for a tenant endpoint, the global order on each data shard for
 * an all-tenants one): every event at or below it was delivered, or was of a type the
 * endpoint does not subscribe to. A run reads the events after it, in order,
 * and sends the subscribed ones one at a time; the cursor moves past an event
 * only once the receiver acknowledged it (or it was filtered out). So events
 * reach an endpoint in order, at least once, and a crash anywhere between the
 * change and the acknowledgement delays an event but never loses it: the
 * event is in the log (the outbox), the cursor still before it.
 */

/** An event as the planner needs it: its position in its stream, its type, and when it happened (the merge order across streams). */
export interface Positioned {
  position: number;
  type: string;
  occurredAt: number;
}

/**
 * An endpoint's position in each stream it follows: one stream for a
 * tenant's endpoint (the tenant's sequence), one per data shard for an
 * all-tenants endpoint (that shard's global order; docs/sharding.md).
 */
export type Positions = Record<string, number>;

/** A page of one stream: events after its position, in position order. */
export interface StreamPage<E> {
  stream: string;
  events: readonly E[];
  /** The position past every row the page read, those not in `events` (a move's copies) included. */
  end: number;
}

export interface DeliveryStep<E> {
  stream: string;
  event: E;
  /** The cursor to record if this send fails: past the unsubscribed events before it, not past it. */
  cursorBefore: Positions;
  /** The cursor to record once the receiver acknowledged it. */
  cursorAfter: Positions;
}

export interface DeliveryPlan<E> {
  sends: Array<DeliveryStep<E>>;
  /** The cursor once every send succeeded: past trailing unsubscribed events too, never past an unsent subscribed one. */
  cursorAtEnd: Positions;
  /** Unsubscribed events the cursor passes over. */
  skipped: number;
}

/**
 * The sends of one run: the subscribed events of `pages` (each a stream's
 * events after `cursor`, in position order), at most `maxSends`. Streams
 * are merged by time (ties: page order), each stream's events in its own
 * order, so an all-tenants endpoint gets every shard's events in that
 * shard's order and no shard waits for another's backlog.
 */
export function planDeliveries<E extends Positioned>(
  cursor: Positions,
  pages: ReadonlyArray<StreamPage<E>>,
  types: readonly string[] | null,
  maxSends: number,
): DeliveryPlan<E> {
  const wanted = types === null ? null : new Set(types);
  const sends: Array<DeliveryStep<E>> = [];
  const positions: Positions = { ...cursor };
  const heads = pages.map(() => 0);
  let skipped = 0;
  for (;;) {
    let pick = -1;
    pages.forEach((page, i) => {
      // Defensive: never go back, never send twice in one run.
      while (heads[i]! < page.events.length && page.events[heads[i]!]!.position <= (positions[page.stream] ?? 0)) heads[i]! += 1;
      const e = page.events[heads[i]!];
      if (e && (pick < 0 || e.occurredAt < pages[pick]!.events[heads[pick]!]!.occurredAt)) pick = i;
    });
    if (pick < 0) break;
    const { stream } = pages[pick]!;
    const event = pages[pick]!.events[heads[pick]!]!;
    if (wanted !== null && !wanted.has(event.type)) {
      positions[stream] = event.position;
      heads[pick]! += 1;
      skipped += 1;
      continue;
    }
    if (sends.length >= maxSends) break;
    const cursorBefore = { ...positions };
    positions[stream] = event.position;
    heads[pick]! += 1;
    sends.push({ stream, event, cursorBefore, cursorAfter: { ...positions } });
  }
  // A stream whose page was all passed goes past the rows the page left out too.
  pages.forEach((page, i) => {
    if (heads[i] === page.events.length) positions[page.stream] = Math.max(positions[page.stream] ?? 0, page.end);
  });
  return { sends, cursorAtEnd: positions, skipped };
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
