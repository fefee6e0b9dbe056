/**
 * The path Hono routes on. Identity providers and admins are sloppy with the
 * Tenant URL: a trailing slash, a doubled slash where the client appends
 * "/Users", lower-case resource names (Microsoft's reference Postman
 * collection calls "/users"). RFC 7644 paths are otherwise
 * case-sensitive; we map the known endpoint names to their canonical case.
 */
const CANONICAL: Record<string, string> = {
  users: "Users",
  groups: "Groups",
  schemas: "Schemas",
  resourcetypes: "ResourceTypes",
  serviceproviderconfig: "ServiceProviderConfig",
  serviceproviderconfigs: "ServiceProviderConfig",
  // Microsoft's older Postman collection for SCIM (the one customers' QA
  // teams download) reads /serviceConfiguration; it means RFC 7644 §4's
  // /ServiceProviderConfig, so it gets exactly that answer.
  serviceconfiguration: "ServiceProviderConfig",
  ".search": ".search",
};

const SCIM_ROOT = /^(\/tenants\/[^/]+\/scim\/v2)(\/.*)?$/;

export function scimAwarePath(request: Request): string {
  const url = new URL(request.url);
  let path = url.pathname.replace(/\/{2,}/g, "/");
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  const match = SCIM_ROOT.exec(path);
  if (!match || !match[2]) return path;
  const segments = match[2].split("/");
  const first = segments[1];
  if (first !== undefined) {
    const canonical = CANONICAL[first.toLowerCase()];
    if (canonical) segments[1] = canonical;
  }
  return match[1] + segments.join("/");
}
