import type { VendorConfig } from "../../env.js";
import { ScimError } from "../errors.js";
import { isPlainObject } from "./coerce.js";
import type { UserDoc } from "./types.js";

export interface TenantPolicy {
  /** Empty = any domain (contract.md). */
  allowedDomains: string[];
  /** Empty = any location kept as sent. */
  locations: string[];
}

/** The tenant's location for values not in its list (product.md). */
export const DEFAULT_LOCATION = "Default";

function normaliseDomain(domain: string): string {
  return domain.trim().replace(/^@/, "").replace(/\.$/, "").normalize("NFKC").toLowerCase();
}

/**
 * Applies a tenant's provisioning policy to a user doc (pure; returns a new doc).
 * - allowedDomains: the userName's domain and every email's domain must be
 *   listed (case-insensitive, exact: a subdomain is another domain), else 400
 *   invalidValue naming the domain, so Entra's log shows why.
 * - locations: the vendor extension's `location` is stored with the list's
 *   spelling, or as "Default" when not listed.
 */
export function applyTenantPolicy(doc: UserDoc, policy: TenantPolicy, config: VendorConfig): UserDoc {
  if (policy.allowedDomains.length > 0) checkDomains(doc, policy.allowedDomains);
  if (policy.locations.length === 0) return doc;
  const extension = doc[config.userExtensionUrn];
  if (!isPlainObject(extension)) return doc;
  const location = extension["location"];
  if (typeof location !== "string") return doc;
  const lower = location.normalize("NFKC").toLowerCase();
  const listed = policy.locations.find((l) => l.normalize("NFKC").toLowerCase() === lower);
  const stored = listed ?? DEFAULT_LOCATION;
  if (stored === location) return doc;
  return { ...doc, [config.userExtensionUrn]: { ...extension, location: stored } };
}

function checkDomains(doc: UserDoc, allowedDomains: string[]): void {
  const allowed = new Set(allowedDomains.map(normaliseDomain));
  const userName = doc["userName"];
  // A userName without '@' (e.g. a sAMAccountName) carries no domain to
  // check; the emails, if any, still do.
  if (typeof userName === "string" && userName.includes("@")) {
    const domain = userName.slice(userName.lastIndexOf("@") + 1);
    if (!allowed.has(normaliseDomain(domain))) {
      throw ScimError.invalidValue(`userName domain "${domain}" is not an allowed domain for this tenant`);
    }
  }
  const emails = doc["emails"];
  if (!Array.isArray(emails)) return;
  for (const email of emails) {
    const value = isPlainObject(email) ? email["value"] : undefined;
    if (typeof value !== "string") continue;
    // Unlike a userName, an email must have a domain to be allowed.
    const at = value.lastIndexOf("@");
    const domain = at >= 0 ? value.slice(at + 1) : "";
    if (!allowed.has(normaliseDomain(domain)) || domain === "") {
      throw ScimError.invalidValue(
        domain === ""
          ? `email "${value}" has no domain; this tenant only allows ${allowedDomains.join(", ")}`
          : `email domain "${domain}" is not an allowed domain for this tenant`,
      );
    }
  }
}
