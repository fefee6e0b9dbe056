import type { VendorConfig } from "../../env.js";
import { ScimError } from "../errors.js";
import { isPlainObject } from "../data-types.js";
import type { UserDoc } from "./types.js";

export interface TenantPolicy {
  /** Empty = any domain (README, "Admin API"). */
  allowedDomains: string[];
  /** Empty = any location kept as sent. */
  locations: string[];
}

/** The location stored for a value not in the tenant's list, when it has one. */
export const DEFAULT_LOCATION = "Default";

/** "@Contoso.COM." and "contoso.com" are one domain. */
export function normaliseDomain(domain: string): string {
  return domain.trim().replace(/^@/, "").replace(/\.$/, "").normalize("NFKC").toLowerCase();
}

/** A tenant's allowedDomains as stored: normalised, without empties or duplicates. */
export function normaliseDomains(domains: readonly string[]): string[] {
  return [...new Set(domains.map(normaliseDomain).filter((d) => d.length > 0))];
}

/** A tenant's locations as stored: the tenant's spelling (what users get), trimmed, exact duplicates dropped. */
export function normaliseLocations(locations: readonly string[]): string[] {
  return [...new Set(locations.map((l) => l.trim()).filter((l) => l.length > 0))];
}

/**
 * Applies a tenant's provisioning policy to a user doc (pure; returns a new doc).
 * - allowedDomains: the userName's domain and every email's domain must be
 *   listed (case-insensitive, exact: a subdomain is another domain), else 400
 *   invalidValue naming the domain, so Entra's log shows why.
 * - locations: the vendor extension's `location` is stored with the list's
 *   spelling, or as "Default" when not listed.
 *
 * With `previous` (PUT and PATCH), only values the request changes are
 * judged: a userName, email or location the user already has is never
 * refused or rewritten. A tenant that narrows its domains later must still be
 * able to disable (`active: false`) or rename its existing users, or they
 * would keep their access and their licence.
 */
export function applyTenantPolicy(doc: UserDoc, policy: TenantPolicy, config: VendorConfig, previous?: UserDoc): UserDoc {
  if (policy.allowedDomains.length > 0) checkDomains(doc, policy.allowedDomains, previous);
  if (policy.locations.length === 0) return doc;
  const location = locationOf(doc, config);
  if (location === undefined) return doc;
  if (previous !== undefined && locationOf(previous, config) === location) return doc;
  const lower = location.normalize("NFKC").toLowerCase();
  const listed = policy.locations.find((l) => l.normalize("NFKC").toLowerCase() === lower);
  const stored = listed ?? DEFAULT_LOCATION;
  if (stored === location) return doc;
  const extension = doc[config.userExtensionUrn] as Record<string, unknown>;
  return { ...doc, [config.userExtensionUrn]: { ...extension, location: stored } } as UserDoc;
}

function locationOf(doc: UserDoc, config: VendorConfig): string | undefined {
  const extension = doc[config.userExtensionUrn];
  const location = isPlainObject(extension) ? extension["location"] : undefined;
  return typeof location === "string" ? location : undefined;
}

function emailValues(doc: UserDoc | undefined): string[] {
  const emails = doc?.["emails"];
  if (!Array.isArray(emails)) return [];
  return emails.flatMap((e) => (isPlainObject(e) && typeof e["value"] === "string" ? [e["value"]] : []));
}

function checkDomains(doc: UserDoc, allowedDomains: string[], previous: UserDoc | undefined): void {
  const allowed = new Set(allowedDomains.map(normaliseDomain));
  const userName = doc["userName"];
  // A userName without '@' (e.g. a sAMAccountName) carries no domain to
  // check; the emails, if any, still do.
  if (typeof userName === "string" && userName.includes("@") && userName !== previous?.["userName"]) {
    const domain = userName.slice(userName.lastIndexOf("@") + 1);
    if (!allowed.has(normaliseDomain(domain))) {
      throw ScimError.invalidValue(`userName domain "${domain}" is not an allowed domain for this tenant`);
    }
  }
  const kept = new Set(emailValues(previous));
  for (const value of emailValues(doc)) {
    if (kept.has(value)) continue;
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
