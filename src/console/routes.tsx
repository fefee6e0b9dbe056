/** @jsxImportSource hono/jsx */
/**
 * The console's and the setup page's routes (README, "Console and setup
 * link"). Every figure comes from the function the admin API calls for it
 * (getTenantStats, listTokens, listLicences, readRequestLog, readFeed,
 * readUserHistory), so a page shows what the API answers. The console is
 * read-only but for one write: creating a setup link, as the admin API does.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../context.js";
import { vendorConfig } from "../env.js";
import { CursorGone, readFeed } from "../feed/events.js";
import { InvalidCursor } from "../feed/cursor.js";
import { listLicences } from "../licence/current-licences.js";
import { userLicence } from "../licence/user-licence.js";
import { InvalidLogCursor } from "../provisioning-log/cursor.js";
import { readUserHistory } from "../provisioning-log/history.js";
import { readRequestLog } from "../provisioning-log/requests.js";
import { logRetentionDays } from "../provisioning-log/retention.js";
import { hourlyRequestCounts, recentLicenceEvents } from "../storage/console-charts.js";
import { createConsoleSession, endConsoleSession } from "../storage/console-sessions.js";
import { getUser } from "../storage/users.js";
import { createSetupLink, DEFAULT_SETUP_LINK_DAYS, listSetupLinks, MAX_SETUP_LINK_DAYS, openSetupLink, SETUP_LINK_MAX_TOKENS, spendSetupLinkToken } from "../storage/setup-links.js";
import { getTenant, getTenantStats, listTenants, TENANT_ID_PATTERN, type Tenant } from "../storage/tenants.js";
import { lastTestConnectionProbe } from "../storage/test-connection-probes.js";
import { issueToken, listTokens } from "../storage/tokens.js";
import type { RequestDatabase } from "../storage/database.js";
import { openShard } from "../storage/shards.js";
import { EventsPage, LicencesPage, NotFoundPage, RequestLogPage, SignInPage, TenantPage, TenantsPage, UserPage, type TenantRow } from "./pages.js";
import {
  clearSessionCookie,
  countSignInFailure,
  isAdminToken,
  pageHeaders,
  requireSession,
  sameOrigin,
  sessionCookie,
  setSessionCookie,
  signInKey,
  signInLocked,
  SIGN_IN_PERIOD_SECONDS,
} from "./security.js";
import { hourBars, licenceSeries } from "./series.js";
import { SetupPage } from "./setup.js";
import { CONSOLE_CSS } from "./style.js";

const CHART_DAYS_REQUESTS = 3;
const CHART_DAYS_LICENCES = 14;
const TENANTS_PAGE = 50;
const SEARCH_SCAN = 1000;
const LOG_PAGE = 50;

const tenantUrlOf = (c: Context<AppEnv>, tenantId: string) => `${new URL(c.req.url).origin}/tenants/${tenantId}/scim/v2`;
const str = (v: unknown): string => (typeof v === "string" ? v : "");

async function tenantOr404(c: Context<AppEnv>): Promise<Tenant | Response> {
  const id = c.req.param("id") ?? "";
  const tenant = TENANT_ID_PATTERN.test(id) ? await getTenant(c.get("database").db, id) : undefined;
  return tenant ?? c.html(<NotFoundPage what={`No tenant "${id}".`} signedIn />, 404);
}

/** The tenant's data shard (docs/sharding.md) on the request's meter; the control database holds the tenant, its tokens and links. */
const dataOf = (c: Context<AppEnv>, tenant: Tenant): Promise<RequestDatabase> => openShard(c.env, tenant.shard, c.get("database").meter);

/** The tenant page's data: the admin API's stats, tokens and licences, plus the two charts' reads. */
async function tenantPage(c: Context<AppEnv>, tenant: Tenant, newSetupLink?: string): Promise<Response> {
  const control = c.get("database");
  const rd = await dataOf(c, tenant);
  const now = Date.now();
  const [stats, tokens, downgraded, hourly, licenceEvents, links] = await Promise.all([
    getTenantStats(rd.db, tenant.id, now),
    listTokens(control.db, tenant.id),
    listLicences(rd.db, tenant.id, { status: "downgraded", limit: 1000, now }),
    hourlyRequestCounts(rd, tenant.id, now - CHART_DAYS_REQUESTS * 86_400_000),
    recentLicenceEvents(rd, tenant.id, now - CHART_DAYS_LICENCES * 86_400_000),
    listSetupLinks(control.db, tenant),
  ]);
  const nowHour = Math.floor(now / 3_600_000);
  const nearest = downgraded.licenses
    .filter((l) => l.expiresAt !== null)
    .sort((a, b) => (a.expiresAt ?? "").localeCompare(b.expiresAt ?? ""))
    .slice(0, 5);
  const page = (
    <TenantPage
      tenant={tenant}
      tenantUrl={tenantUrlOf(c, tenant.id)}
      stats={stats}
      tokens={tokens}
      nearestExpiries={nearest}
      requestBars={hourBars(hourly.hours, nowHour - CHART_DAYS_REQUESTS * 24 + 1, nowHour)}
      requestsTruncated={hourly.truncated}
      licencePoints={licenceSeries({ active: stats.proLicenses - stats.downgradedLicenses, downgraded: stats.downgradedLicenses }, licenceEvents, CHART_DAYS_LICENCES, now)}
      setupLinks={links}
      {...(newSetupLink ? { newSetupLink } : {})}
    />
  );
  return c.html(page, newSetupLink ? 201 : 200);
}

/** Attributes of the stored document worth showing beside the columns: emails, name, extension values. */
function attributesOf(doc: string): Array<[string, string]> {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(doc) as Record<string, unknown>;
  } catch {
    return [];
  }
  const out: Array<[string, string]> = [];
  const skip = new Set(["schemas", "userName", "displayName", "active", "externalId", "id"]);
  const walk = (prefix: string, value: unknown) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) value.forEach((v, i) => walk(`${prefix}[${i}]`, v));
    else if (typeof value === "object") for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(prefix ? `${prefix}.${k}` : k, v);
    else out.push([prefix, String(value)]);
  };
  for (const [k, v] of Object.entries(parsed)) if (!skip.has(k)) walk(k, v);
  return out.slice(0, 100);
}

export function consoleApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", pageHeaders);

  app.get("/console/console.css", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.body(CONSOLE_CSS, 200, { "Content-Type": "text/css; charset=utf-8" });
  });

  app.get("/console/sign-in", (c) => c.html(<SignInPage />));

  app.post("/console/sign-in", async (c) => {
    const expected = c.env.ADMIN_TOKEN;
    if (!expected) return c.html(<SignInPage error="The console is disabled: ADMIN_TOKEN is not configured." />, 503);
    if (!sameOrigin(c)) return c.html(<SignInPage error="Sign in from this page." />, 403);
    const key = signInKey(c);
    const tooMany = () => {
      c.header("Retry-After", String(SIGN_IN_PERIOD_SECONDS));
      return c.html(<SignInPage error="Too many failed sign-ins. Wait a minute and try again." />, 429);
    };
    if (signInLocked(key)) return tooMany();
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = str((form as Record<string, unknown>)["token"]).trim();
    if (token.length > 1000 || !(await isAdminToken(expected, token))) {
      if (await countSignInFailure(c, key)) return tooMany();
      return c.html(<SignInPage error="That is not the admin token." />, 401);
    }
    const session = await createConsoleSession(c.get("database").db);
    setSessionCookie(c, session.cookieValue, session.expiresAt);
    return c.redirect("/console", 303);
  });

  app.post("/console/sign-out", async (c) => {
    if (!sameOrigin(c)) return c.text("Cross-origin form posts are refused.", 403);
    await endConsoleSession(c.get("database").db, sessionCookie(c));
    clearSessionCookie(c);
    return c.redirect("/console/sign-in", 303);
  });

  const signedIn = new Hono<AppEnv>();
  signedIn.use("*", requireSession);

  signedIn.get("/", async (c) => {
    const db = c.get("database").db;
    const q = str(c.req.query("q")).trim().toLowerCase().slice(0, 100);
    const after = str(c.req.query("after")) || undefined;
    let tenants: Tenant[];
    let next: string | undefined;
    let scanned = false;
    if (q) {
      // Search: the first SEARCH_SCAN tenants in id order, by id or name (the admin API lists, it does not search).
      const page = await listTenants(db, { limit: SEARCH_SCAN });
      tenants = page.tenants.filter((t) => t.id.includes(q) || t.name.toLowerCase().includes(q)).slice(0, TENANTS_PAGE);
      scanned = page.next !== undefined;
    } else {
      const page = await listTenants(db, { after, limit: TENANTS_PAGE });
      tenants = page.tenants;
      next = page.next;
    }
    const rows: TenantRow[] = await Promise.all(tenants.map(async (tenant) => ({ tenant, stats: await getTenantStats((await dataOf(c, tenant)).db, tenant.id) })));
    return c.html(<TenantsPage rows={rows} q={q} next={next} scanned={scanned} />);
  });

  signedIn.get("/tenants/:id", async (c) => {
    const tenant = await tenantOr404(c);
    return tenant instanceof Response ? tenant : tenantPage(c, tenant);
  });

  // The console's one write: a setup link, as POST /admin/tenants/{id}/setup-links makes it.
  signedIn.post("/tenants/:id/setup-links", async (c) => {
    const tenant = await tenantOr404(c);
    if (tenant instanceof Response) return tenant;
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const days = Number(str((form as Record<string, unknown>)["expiresInDays"]) || DEFAULT_SETUP_LINK_DAYS);
    const expiresInDays = Number.isInteger(days) ? Math.min(Math.max(days, 1), MAX_SETUP_LINK_DAYS) : DEFAULT_SETUP_LINK_DAYS;
    const link = await createSetupLink(c.get("database").db, tenant, expiresInDays);
    return tenantPage(c, tenant, `${new URL(c.req.url).origin}/setup/${tenant.id}/${link.presented}`);
  });

  signedIn.get("/tenants/:id/licences", async (c) => {
    const tenant = await tenantOr404(c);
    if (tenant instanceof Response) return tenant;
    const s = str(c.req.query("status"));
    const status = s === "active" || s === "downgraded" ? s : undefined;
    const after = str(c.req.query("after")) || undefined;
    const page = await listLicences((await dataOf(c, tenant)).db, tenant.id, { status, after, limit: 100 });
    return c.html(<LicencesPage tenant={tenant} status={status ?? ""} licences={page.licenses} next={page.nextCursor} />);
  });

  signedIn.get("/tenants/:id/requests", async (c) => {
    const tenant = await tenantOr404(c);
    if (tenant instanceof Response) return tenant;
    const s = str(c.req.query("status"));
    const status = s === "4xx" || s === "5xx" ? s : undefined;
    const after = str(c.req.query("after")) || undefined;
    try {
      const page = await readRequestLog(await dataOf(c, tenant), { tenantId: tenant.id, after, status, limit: LOG_PAGE });
      return c.html(<RequestLogPage tenant={tenant} status={status ?? ""} requests={page.requests} next={page.nextCursor} />);
    } catch (err) {
      if (err instanceof InvalidLogCursor) return c.html(<NotFoundPage what="That page of the log does not exist." signedIn />, 400);
      throw err;
    }
  });

  signedIn.get("/tenants/:id/events", async (c) => {
    const tenant = await tenantOr404(c);
    if (tenant instanceof Response) return tenant;
    const after = str(c.req.query("after"));
    try {
      const page = await readFeed([await dataOf(c, tenant)], { tenantId: tenant.id, limit: 100, ...(after ? { after } : {}) });
      return c.html(<EventsPage tenant={tenant} events={page.events} next={page.nextCursor} after={after} />);
    } catch (err) {
      if (err instanceof InvalidCursor || err instanceof CursorGone) return c.redirect(`/console/tenants/${tenant.id}/events`, 303);
      throw err;
    }
  });

  signedIn.get("/tenants/:id/users", (c) => c.redirect(`/console/tenants/${encodeURIComponent(c.req.param("id"))}/users/${encodeURIComponent(str(c.req.query("id")).trim())}`, 303));

  signedIn.get("/tenants/:id/users/:userId", async (c) => {
    const tenant = await tenantOr404(c);
    if (tenant instanceof Response) return tenant;
    const rd = await dataOf(c, tenant);
    const userId = c.req.param("userId").slice(0, 200);
    const after = str(c.req.query("after")) || undefined;
    const row = await getUser(rd, tenant.id, userId, true);
    try {
      const [licence, history] = await Promise.all([
        row ? userLicence(rd.db, tenant.id, userId, row.userName) : Promise.resolve(undefined),
        readUserHistory(rd, { tenantId: tenant.id, userId, after, limit: 100, now: Date.now(), retentionDays: logRetentionDays(c.env) }),
      ]);
      const user = row
        ? {
            userName: row.userName,
            displayName: row.displayName,
            active: row.active,
            externalId: row.externalId,
            createdAt: row.createdAt,
            lastModified: row.lastModified,
            attributes: attributesOf(row.doc),
            groups: row.groups ?? [],
          }
        : undefined;
      return c.html(<UserPage tenant={tenant} userId={userId} licence={licence} history={history.items} next={history.nextCursor} {...(user ? { user } : {})} />);
    } catch (err) {
      if (err instanceof InvalidLogCursor) return c.html(<NotFoundPage what="That page of the history does not exist." signedIn />, 400);
      throw err;
    }
  });

  app.route("/console", signedIn);

  // The setup page: /setup/<tenantId>/<id>.<secret>. Any failure is the same 404, so a guess learns nothing.
  const setupFor = async (c: Context<AppEnv>) => {
    const id = c.req.param("tenantId") ?? "";
    const tenant = TENANT_ID_PATTERN.test(id) ? await getTenant(c.get("database").db, id) : undefined;
    const link = tenant ? await openSetupLink(c.get("database").db, tenant, c.req.param("link")) : undefined;
    return tenant && link ? { tenant, link } : undefined;
  };
  const setupGone = (c: Context<AppEnv>) => c.html(<NotFoundPage what="This setup link does not exist, has expired or was revoked. Ask your vendor's support for a new one." />, 404);

  const renderSetup = async (c: Context<AppEnv>, tenant: Tenant, link: { id: string; expiresAt: number; tokensIssued: number }, issued?: { token: string; label: string }) => {
    const [log, probe] = await Promise.all([
      readRequestLog(await dataOf(c, tenant), { tenantId: tenant.id, limit: 20 }),
      lastTestConnectionProbe(c.get("database").db, tenant.id, tenant.createdAt),
    ]);
    return c.html(
      <SetupPage
        tenant={tenant}
        tenantUrl={tenantUrlOf(c, tenant.id)}
        tokensLeft={SETUP_LINK_MAX_TOKENS - link.tokensIssued}
        expiresAt={link.expiresAt}
        config={vendorConfig(c.env)}
        requests={log.requests}
        probe={probe}
        {...(issued ? { issued } : {})}
      />,
      issued ? 201 : 200,
    );
  };

  app.get("/setup/:tenantId/:link", async (c) => {
    const found = await setupFor(c);
    return found ? renderSetup(c, found.tenant, found.link) : setupGone(c);
  });

  app.post("/setup/:tenantId/:link", async (c) => {
    if (!sameOrigin(c)) return c.text("Cross-origin form posts are refused.", 403);
    const found = await setupFor(c);
    if (!found) return setupGone(c);
    const { tenant, link } = found;
    const db = c.get("database").db;
    if (!(await spendSetupLinkToken(db, tenant.id, link.id))) return renderSetup(c, tenant, { ...link, tokensIssued: SETUP_LINK_MAX_TOKENS });
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const given = str((form as Record<string, unknown>)["label"]).trim().slice(0, 100) || "Identity provider";
    // Labelled so support sees in the console's token list that the customer issued it through a setup link.
    const label = `${given} (setup link ${link.id.slice(-8)})`;
    const issued = await issueToken(db, c.env.TOKENS, tenant.id, { label, expiresInDays: null, shard: tenant.shard });
    return renderSetup(c, tenant, { ...link, tokensIssued: link.tokensIssued + 1 }, { token: issued.token, label });
  });

  return app;
}
