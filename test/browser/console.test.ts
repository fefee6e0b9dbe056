/**
 * The support console and the customer's setup page in a real browser
 * (README, "Console and setup link"): `wrangler dev` with a tenant seeded
 * through the SCIM API as Entra would, and Chromium driven by playwright-core.
 * Every figure on a page is compared with the admin API's answer for the
 * same tenant; every page's HTML is checked for secrets; the screenshots in
 * docs/screenshots/ are taken here.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startWranglerDev, type WranglerDev } from "../e2e/support/wrangler-dev.js";
import { launchChromium, type Browser } from "./support.js";

const SCREENSHOTS = path.resolve(import.meta.dirname, "../../docs/screenshots");
const TENANT = "acme";
const OTHER = "globex";
const SCRIPT_NAME = "<script>alert(1)</script>";

let worker: WranglerDev;
let browser: Browser;
let page: Page;
let scimToken: string;
let scriptUserId: string;
let adaId: string;
/** Every secret the worker handed out: none may appear in a page's HTML (but the one page that shows a token once). */
const secrets: string[] = [];
/** Every page's HTML, to check for secrets at the end. */
const htmlSeen: Array<{ url: string; html: string }> = [];
let dialogs = 0;
let sessionCookie = "";

type Json = Record<string, unknown>;

async function adminApi(method: string, p: string, body?: unknown): Promise<Response> {
  return fetch(`${worker.origin}${p}`, {
    method,
    headers: { authorization: `Bearer ${worker.adminToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function adminJson(p: string): Promise<Json> {
  const res = await adminApi("GET", p);
  expect(res.status, p).toBe(200);
  return (await res.json()) as Json;
}

async function scim(method: string, p: string, body?: unknown, token = scimToken, tenant = TENANT): Promise<Response> {
  return fetch(`${worker.origin}/tenants/${tenant}/scim/v2${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json", "user-agent": "Azure Active Directory SCIM Client (test)" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function createUser(userName: string, displayName: string): Promise<string> {
  const res = await scim("POST", "/Users", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName,
    displayName,
    active: true,
    emails: [{ type: "work", value: userName, primary: true }],
    name: { givenName: displayName.slice(0, 20), familyName: "Test" },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** Opens a console or setup page and keeps its HTML. */
async function open(url: string): Promise<number> {
  const res = await page.goto(`${worker.origin}${url}`);
  htmlSeen.push({ url, html: await page.content() });
  return res?.status() ?? 0;
}

const textOf = async (selector: string): Promise<string> => (await page.locator(selector).first().textContent())?.trim() ?? "";
const numberOf = async (selector: string): Promise<number> => Number((await textOf(selector)).replace(/,/g, ""));

beforeAll(async () => {
  worker = await startWranglerDev();
  secrets.push(worker.adminToken);
  expect((await adminApi("POST", "/admin/tenants", { id: TENANT, name: "Acme Corp", allowedDomains: ["acme.test"], proGraceHours: 12 })).status).toBe(201);
  expect((await adminApi("POST", "/admin/tenants", { id: OTHER, name: "Globex" })).status).toBe(201);
  const issued = (await (await adminApi("POST", `/admin/tenants/${TENANT}/tokens`, { label: "Entra production" })).json()) as { token: string };
  scimToken = issued.token;
  secrets.push(scimToken);

  // Seeded as Entra would: Test Connection, users, a Pro group and a free one, a refused request.
  expect((await scim("GET", `/Users?filter=${encodeURIComponent(`userName eq "${randomUUID()}"`)}`)).status).toBe(200);
  adaId = await createUser("ada@acme.test", "Ada Lovelace");
  const grace = await createUser("grace@acme.test", "Grace Hopper");
  scriptUserId = await createUser("mallory@acme.test", SCRIPT_NAME);
  const pro = await scim("POST", "/Groups", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group", "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group"],
    displayName: "Pro users",
    members: [{ value: adaId }, { value: grace }, { value: scriptUserId }],
    "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group": { license: "True" },
  });
  expect(pro.status).toBe(201);
  // Grace leaves the Pro group: her licence is downgraded, with an expiry.
  const proId = ((await pro.json()) as { id: string }).id;
  const patch = await scim("PATCH", `/Groups/${proId}`, {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    Operations: [{ op: "remove", path: `members[value eq "${grace}"]` }],
  });
  expect(patch.status).toBeLessThan(300);
  expect((await scim("POST", "/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "eve@elsewhere.test" })).status).toBe(400);
  expect((await scim("GET", "/Users", undefined, "scim_wrong")).status).toBe(401);

  // The log entries are written after each response: wait until all 8 are there.
  await vi.waitFor(async () => expect(((await adminJson(`/admin/tenants/${TENANT}/requests`)).requests as unknown[]).length).toBe(8), { timeout: 30_000, interval: 100 });

  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on("dialog", (d) => {
    dialogs++;
    void d.dismiss();
  });
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

describe("the console", () => {
  it("is unreadable without a session, and signing in sets a strict, expiring, HttpOnly cookie", async () => {
    await open("/console");
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    const direct = await fetch(`${worker.origin}/console/tenants/${TENANT}`, { redirect: "manual" });
    expect(direct.status).toBe(303);
    expect(direct.headers.get("location")).toBe("/console/sign-in");

    expect(await textOf("h1")).toBe("Support console");
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    expect(await textOf("[role=alert]")).toContain("not the admin token");

    await page.getByLabel("Admin token").fill(worker.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${worker.origin}/console`);
    const [cookie] = await browser.context.cookies(`${worker.origin}/console`);
    expect(cookie).toMatchObject({ name: "scim_console", httpOnly: true, sameSite: "Strict", path: "/console" });
    expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000);
    expect(cookie?.expires).toBeLessThanOrEqual(Date.now() / 1000 + 8 * 3600 + 60);
    sessionCookie = cookie?.value ?? "";
    secrets.push(sessionCookie);
  });

  it("lists tenants with the admin API's counts, and searches them", async () => {
    const status = await open("/console");
    expect(status).toBe(200);
    expect(await textOf("h1")).toBe("Tenants");
    const api = (await adminJson(`/admin/tenants/${TENANT}`)).stats as Record<string, number>;
    const row = page.locator(`tr[data-tenant="${TENANT}"] td.num`);
    expect((await row.allTextContents()).map(Number)).toEqual([api.users, api.activeUsers, api.groups, api.proLicenses, api.downgradedLicenses]);
    await page.getByLabel("Search by id or name").fill("globex");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/q=globex/);
    expect(await page.locator("tr[data-tenant]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-tenant")))).toEqual([OTHER]);
  });

  it("shows a tenant: Tenant URL, tokens by label (never a secret), policies, the API's statistics and two charts", async () => {
    const res = await page.goto(`${worker.origin}/console/tenants/${TENANT}`);
    htmlSeen.push({ url: "tenant", html: await page.content() });
    expect(res?.status()).toBe(200);
    const headers = res?.headers() ?? {};
    expect(headers["cache-control"]).toBe("no-store");
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["content-security-policy"]).not.toContain("unsafe-inline");

    const tenant = await adminJson(`/admin/tenants/${TENANT}`);
    const stats = tenant.stats as Record<string, number>;
    for (const key of ["users", "activeUsers", "groups", "memberships", "proLicenses", "downgradedLicenses"]) {
      expect(await numberOf(`[data-stat="${key}"]`), key).toBe(stats[key]);
    }
    expect(await textOf("[data-tenant-url]")).toBe(tenant.scimBaseUrl);
    const tokens = (await adminJson(`/admin/tenants/${TENANT}/tokens`)).tokens as Array<{ id: string; label: string }>;
    expect(await page.locator("tr[data-token-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-token-id")))).toEqual(tokens.map((t) => t.id));
    expect(await textOf(`tr[data-token-id="${tokens[0]?.id}"] td`)).toBe("Entra production");
    for (const h of ["Statistics", "Requests per hour", "Pro licences over time", "Connection", "Policies", "Nearest expiries", "Setup links"]) {
      await page.getByRole("heading", { name: h, exact: true }).waitFor();
    }
    expect(await page.locator('svg[data-chart="requests"] rect').count()).toBeGreaterThan(0);
    expect(await page.locator('svg[data-chart="licences"] path').count()).toBe(2);
    expect(await page.locator('svg[data-chart="licences"]').getAttribute("aria-label")).toContain(`now ${stats.proLicenses! - stats.downgradedLicenses!} active and ${stats.downgradedLicenses} downgraded`);
    await page.screenshot({ path: path.join(SCREENSHOTS, "console-tenant.png"), fullPage: true });
  });

  it("lists the licences the API lists, by state", async () => {
    await open(`/console/tenants/${TENANT}/licences`);
    const api = (await adminJson(`/admin/tenants/${TENANT}/licenses`)).licenses as Array<{ userId: string }>;
    expect(await page.locator("tr[data-licence-user]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-licence-user")))).toEqual(api.map((l) => l.userId));
    await page.getByLabel("State").selectOption("downgraded");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/status=downgraded/);
    const downgraded = (await adminJson(`/admin/tenants/${TENANT}/licenses?status=downgraded`)).licenses as Array<{ userId: string }>;
    expect(downgraded.length).toBe(1);
    expect(await page.locator("tr[data-licence-user]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-licence-user")))).toEqual(downgraded.map((l) => l.userId));
  });

  it("shows the provisioning log newest first, filtered by status, as the API does", async () => {
    await open(`/console/tenants/${TENANT}/requests`);
    const api = (await adminJson(`/admin/tenants/${TENANT}/requests?limit=50`)).requests as Array<{ requestId: string }>;
    expect(await page.locator("tr[data-request-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-request-id")))).toEqual(api.map((r) => r.requestId));
    await page.getByLabel("Status").selectOption("4xx");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/status=4xx/);
    htmlSeen.push({ url: "log 4xx", html: await page.content() });
    const refused = (await adminJson(`/admin/tenants/${TENANT}/requests?status=4xx`)).requests as Array<{ requestId: string }>;
    expect(refused.length).toBe(2);
    expect(await page.locator("tr[data-request-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-request-id")))).toEqual(refused.map((r) => r.requestId));
  });

  it("shows the tenant's events as the feed does", async () => {
    await open(`/console/tenants/${TENANT}/events`);
    const api = (await adminJson(`/admin/tenants/${TENANT}/events?limit=100`)).events as Array<{ id: string }>;
    expect(api.length).toBeGreaterThan(5);
    expect(await page.locator("tr[data-event]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-event")))).toEqual(api.map((e) => e.id));
  });

  it("shows one user: attributes, groups, licence and history, with a script-tag display name as text", async () => {
    await open(`/console/tenants/${TENANT}/users/${scriptUserId}`);
    expect(await textOf("[data-display-name]")).toBe(SCRIPT_NAME);
    expect(await textOf("[data-user-heading]")).toBe(SCRIPT_NAME);
    expect(dialogs).toBe(0);
    expect(await page.locator("main script").count()).toBe(0);
    const html = await page.content();
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");

    await open(`/console/tenants/${TENANT}/users/${adaId}`);
    expect(await textOf("#licence-h + p")).toBe("Pro · active");
    expect(await page.getByRole("heading", { name: "Groups", exact: true }).count()).toBe(1);
    expect(await page.locator("main").textContent()).toContain("Pro users");
    const history = (await adminJson(`/admin/tenants/${TENANT}/users/${adaId}/history`)).items as Array<{ kind: string }>;
    expect(await page.locator("tr[data-history]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-history")))).toEqual(history.map((h) => h.kind));
    await page.screenshot({ path: path.join(SCREENSHOTS, "console-user-history.png"), fullPage: true });
  });
});

describe("the setup page", () => {
  let link: { id: string; url: string; expiresAt: string };

  beforeAll(async () => {
    const res = await adminApi("POST", `/admin/tenants/${TENANT}/setup-links`, {});
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    link = (await res.json()) as typeof link;
    secrets.push(new URL(link.url).pathname.split("/").pop() ?? "");
    expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
  });

  it("shows its tenant's URL, the Entra and Okta steps, the last Test Connection and the recent log", async () => {
    const pathName = new URL(link.url).pathname;
    expect(await open(pathName)).toBe(200);
    expect(await textOf("h1")).toBe("Set up user provisioning for Acme Corp");
    expect(await textOf("[data-tenant-url]")).toBe(`${worker.origin}/tenants/${TENANT}/scim/v2`);
    for (const h of ["1. Tenant URL and Secret Token", "2. Microsoft Entra ID", "2. Or Okta", "3. Last Test Connection", "Recent requests from your identity provider"]) {
      await page.getByRole("heading", { name: h, exact: true }).waitFor();
    }
    expect(await page.locator("main").textContent()).toContain('Switch([objectId], "false", "<object id of your Pro group>", "true")');
    expect(await page.locator("[data-probe]").textContent()).toContain("Azure Active Directory SCIM Client (test)");
    expect(await page.locator("tr[data-request-id]").count()).toBe(8);
    expect(await page.locator("main").textContent()).not.toContain("Globex");
    await page.screenshot({ path: path.join(SCREENSHOTS, "setup-page.png"), fullPage: true });
  });

  it("issues a labelled Secret Token shown once, which works and shows in the console's token list", async () => {
    await page.getByLabel("Token label").fill("Entra from setup");
    await page.getByRole("button", { name: "Issue a Secret Token" }).click();
    await page.locator("[data-issued-token]").waitFor();
    const token = await textOf("[data-issued-token]");
    expect(token).toMatch(/^scim_/);
    expect((await scim("GET", "/ServiceProviderConfig", undefined, token)).status).toBe(200);
    // Shown once: the page opened again does not have it.
    await open(new URL(link.url).pathname);
    expect(await page.content()).not.toContain(token);
    secrets.push(token);
    const tokens = (await adminJson(`/admin/tenants/${TENANT}/tokens`)).tokens as Array<{ label: string }>;
    expect(tokens.map((t) => t.label)).toEqual(expect.arrayContaining([expect.stringMatching(/^Entra from setup \(setup link /)]));
    await open(`/console/tenants/${TENANT}`);
    expect(await page.locator("main").textContent()).toContain("Entra from setup (setup link");
  });

  it("does not open for another tenant, nor after revocation", async () => {
    const segment = new URL(link.url).pathname.split("/").pop();
    expect(await open(`/setup/${OTHER}/${segment}`)).toBe(404);
    expect(await page.locator("main").textContent()).not.toContain("Acme");
    expect((await adminApi("DELETE", `/admin/tenants/${OTHER}/setup-links/${link.id}`)).status).toBe(404);
    expect((await adminApi("DELETE", `/admin/tenants/${TENANT}/setup-links/${link.id}`)).status).toBe(204);
    expect(await open(new URL(link.url).pathname)).toBe(404);
    const post = await fetch(link.url, { method: "POST", body: new URLSearchParams({ label: "x" }) });
    expect(post.status).toBe(404);
  });
});

describe("every page", () => {
  it("has no secret in its HTML: no admin token, session, setup link or Secret Token", () => {
    expect(htmlSeen.length).toBeGreaterThan(10);
    for (const { url, html } of htmlSeen) {
      for (const secret of secrets) expect(secret.length > 10 && html.includes(secret), `${url} contains a secret`).toBe(false);
    }
  });

  it("signs out: the session stops working", async () => {
    await open(`/console/tenants/${TENANT}`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${worker.origin}/console/sign-in`);
    const stale = await fetch(`${worker.origin}/console`, { headers: { cookie: `scim_console=${sessionCookie}` }, redirect: "manual" });
    expect(stale.status).toBe(303);
  });
});
