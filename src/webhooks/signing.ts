/**
 * Standard Webhooks signing ("Signature scheme", "Webhook headers") through
 * the `standardwebhooks` package, the specification's own TypeScript
 * implementation: HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`,
 * sent as `webhook-signature: v1,<base64>`. It computes the HMAC in plain
 * JavaScript (fast-sha256), not Web Crypto, so it runs unchanged in workerd
 * and needs no Node API.
 */
import { Webhook } from "standardwebhooks";

export type Signer = (messageId: string, body: string, at: Date) => Record<string, string>;

/** A signer for one endpoint's `whsec_…` secret (its key is decoded once). */
export function signerFor(secret: string): Signer {
  const webhook = new Webhook(secret);
  return (messageId, body, at) => {
    // webhook-timestamp is whole seconds; the signature covers exactly that value.
    const seconds = Math.floor(at.getTime() / 1000);
    return {
      "content-type": "application/json",
      "webhook-id": messageId,
      "webhook-timestamp": String(seconds),
      "webhook-signature": webhook.sign(messageId, new Date(seconds * 1000), body),
    };
  };
}
