/**
 * What a webhook request carries: one event, exactly as the change feed
 * shows it (src/feed/events.ts `feedEvent`; docs/events.md), as the JSON
 * body. The event's `id` is the Standard Webhooks `webhook-id`, the same on
 * every retry and to every endpoint, so a receiver can use it as its
 * idempotency key ("Verifying signatures"). Pure.
 *
 * One event per request rather than a batch envelope: the `webhook-id` then
 * names exactly one event, a receiver acknowledges (2xx) or refuses each
 * event on its own, and the body is the shape a consumer of the feed already
 * parses. The event has the specification's recommended `type` and `data`
 * at the top level; `occurredAt` plays the part of its `timestamp`.
 */
import { feedEvent } from "../feed/events.js";
import type { StoredEvent } from "../storage/events.js";

export interface WebhookMessage {
  /** The event id (`evt_…`): `webhook-id`. Never contains ".", which the signed content uses as delimiter. */
  id: string;
  /** The exact bytes signed and sent. */
  body: string;
}

/** `shard`: the data shard the event was read from (its id names where it was first written). */
export function webhookMessage(event: StoredEvent, shard: string): WebhookMessage {
  const shown = feedEvent(event, shard);
  return { id: shown.id, body: JSON.stringify(shown) };
}
