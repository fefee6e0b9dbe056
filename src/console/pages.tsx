/** @jsxImportSource hono/jsx */
/**
 * The console's pages (read-only; README, "Console and setup link"). Each
 * takes what the route read through the admin API's own storage functions
 * and renders it; nothing here reads or writes.
 */
import type { FC } from "hono/jsx";
import type { FeedEvent } from "../feed/events.js";
import type { LicenceView } from "../licence/current-licences.js";
import type { HistoryItem } from "../provisioning-log/history.js";
import type { RequestView } from "../provisioning-log/requests.js";
import type { Tenant, TenantStats } from "../storage/tenants.js";
import type { GroupRef } from "../storage/users.js";
import { LicencesChart, RequestsChart } from "./charts.js";
import { Card, Empty, TenantUrlField, fmtNumber, fmtTime, Layout, LicencePill, Stat, StatusPill } from "./layout.js";
import type { HourBar, LicencePoint } from "./series.js";

const enc = encodeURIComponent;

export const SignInPage: FC<{ error?: string; status?: number }> = ({ error }) => (
  <Layout title="Sign in" nav={false}>
    <section class="card signin" aria-labelledby="signin-h">
      <h1 id="signin-h">Support console</h1>
      <p class="sub">Sign in with the worker's admin token. The console is read-only.</p>
      {error ? (
        <p class="notice warn" role="alert">
          {error}
        </p>
      ) : null}
      <form method="post" action="/console/sign-in">
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
    </section>
  </Layout>
);

export interface TenantRow {
  tenant: Tenant;
  stats: TenantStats;
}

export const TenantsPage: FC<{ rows: TenantRow[]; q: string; next: string | undefined; scanned: boolean }> = ({ rows, q, next, scanned }) => (
  <Layout title="Tenants" signedIn>
    <h1>Tenants</h1>
    <p class="sub">Every live tenant with its counts (the admin API's stats).</p>
    <form class="inline" method="get" action="/console" role="search">
      <div>
        <label for="q">Search by id or name</label>
        <input id="q" name="q" type="search" value={q} />
      </div>
      <button type="submit">Search</button>
    </form>
    <section class="card">
      {rows.length === 0 ? (
        <Empty>{q ? "No tenant matches." : "No tenants yet."}</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Name</th>
              <th scope="col" class="num">Users</th>
              <th scope="col" class="num">Active</th>
              <th scope="col" class="num">Groups</th>
              <th scope="col" class="num">Pro</th>
              <th scope="col" class="num">Downgraded</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ tenant, stats }) => (
              <tr data-tenant={tenant.id}>
                <td>
                  <a href={`/console/tenants/${enc(tenant.id)}`}>{tenant.id}</a>
                </td>
                <td>{tenant.name}</td>
                <td class="num">{fmtNumber(stats.users)}</td>
                <td class="num">{fmtNumber(stats.activeUsers)}</td>
                <td class="num">{fmtNumber(stats.groups)}</td>
                <td class="num">{fmtNumber(stats.proLicenses)}</td>
                <td class="num">{fmtNumber(stats.downgradedLicenses)}</td>
                <td>{fmtTime(tenant.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {scanned ? <p class="muted">The search looked at the first 1,000 tenants in id order.</p> : null}
      {next ? (
        <div class="pager">
          <a href={`/console?after=${enc(next)}${q ? `&q=${enc(q)}` : ""}`}>Next tenants →</a>
        </div>
      ) : null}
    </section>
  </Layout>
);

type Tab = "overview" | "licences" | "log" | "events";

const TenantHeader: FC<{ tenant: Tenant; tab: Tab | "user" }> = ({ tenant, tab }) => {
  const base = `/console/tenants/${enc(tenant.id)}`;
  const tabs: Array<[Tab, string, string]> = [
    ["overview", "Overview", base],
    ["licences", "Licences", `${base}/licences`],
    ["log", "Provisioning log", `${base}/requests`],
    ["events", "Events", `${base}/events`],
  ];
  return (
    <>
      <p class="crumbs">
        <a href="/console">Tenants</a> / {tenant.id}
      </p>
      <h1>{tenant.name}</h1>
      <nav class="tabs" aria-label="Tenant">
        {tabs.map(([key, label, href]) => (
          <a href={href} aria-current={key === tab ? "page" : undefined}>
            {label}
          </a>
        ))}
      </nav>
    </>
  );
};

export interface TokenInfo {
  id: string;
  label: string | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

export interface SetupLinkInfo {
  id: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  tokensIssued: number;
}

export interface TenantPageData {
  tenant: Tenant;
  tenantUrl: string;
  stats: TenantStats;
  tokens: TokenInfo[];
  nearestExpiries: LicenceView[];
  requestBars: HourBar[];
  requestsTruncated: boolean;
  licencePoints: LicencePoint[];
  setupLinks: SetupLinkInfo[];
  /** A setup link just created: its url, shown this once. */
  newSetupLink?: string;
}

export const TenantPage: FC<TenantPageData> = (d) => (
  <Layout title={d.tenant.name} signedIn>
    <TenantHeader tenant={d.tenant} tab="overview" />
    <section class="card" aria-labelledby="stats-h">
      <h2 id="stats-h">Statistics</h2>
      <dl class="stats">
        <Stat label="Users" value={d.stats.users} id="users" />
        <Stat label="Active users" value={d.stats.activeUsers} id="activeUsers" />
        <Stat label="Groups" value={d.stats.groups} id="groups" />
        <Stat label="Memberships" value={d.stats.memberships} id="memberships" />
        <Stat label="Pro licences" value={d.stats.proLicenses} id="proLicenses" />
        <Stat label="Downgraded" value={d.stats.downgradedLicenses} id="downgradedLicenses" />
      </dl>
    </section>
    <div class="grid">
      <Card title="Requests per hour" id="requests-chart">
        <RequestsChart bars={d.requestBars} truncated={d.requestsTruncated} />
      </Card>
      <Card title="Pro licences over time" id="licences-chart">
        <LicencesChart points={d.licencePoints} />
      </Card>
    </div>
    <div class="stack">
      <Card title="Connection" id="connection">
        <dl class="kv">
          <TenantUrlField url={d.tenantUrl} />
          <dt>Created</dt>
          <dd>{fmtTime(d.tenant.createdAt)}</dd>
        </dl>
        <h3>Tokens</h3>
        {d.tokens.length === 0 ? (
          <Empty>No Secret Token issued.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {d.tokens.map((t) => (
                <tr data-token-id={t.id}>
                  <td>{t.label ?? <span class="muted">(no label)</span>}</td>
                  <td>{fmtTime(t.createdAt)}</td>
                  <td>{t.lastUsedAt === null ? "never" : fmtTime(t.lastUsedAt)}</td>
                  <td>{t.expiresAt === null ? "never" : fmtTime(t.expiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <div class="grid">
        <Card title="Policies" id="policies">
          <dl class="kv">
            <dt>Allowed domains</dt>
            <dd>{d.tenant.allowedDomains.length ? d.tenant.allowedDomains.join(", ") : "any"}</dd>
            <dt>Locations</dt>
            <dd>{d.tenant.locations.length ? d.tenant.locations.join(", ") : "any value as sent"}</dd>
            <dt>Pro grace</dt>
            <dd>{d.tenant.proGraceHours} hours</dd>
            <dt>Group without the licence attribute</dt>
            <dd>{d.tenant.licenceWhenAbsent === "pro" ? "licensing (pro)" : "free"}</dd>
          </dl>
        </Card>
        <Card title="Nearest expiries" id="expiries">
          {d.nearestExpiries.length === 0 ? (
            <Empty>No downgraded licence is waiting to expire.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Expires</th>
                </tr>
              </thead>
              <tbody>
                {d.nearestExpiries.map((l) => (
                  <tr>
                    <td>
                      <a href={`/console/tenants/${enc(d.tenant.id)}/users/${enc(l.userId)}`}>{l.userName}</a>
                    </td>
                    <td>{fmtTime(l.expiresAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
      <Card title="Setup links" id="setup-links">
        <p class="muted">A setup link gives the customer's IT admin the Tenant URL, a token button and the Entra and Okta steps for this tenant only.</p>
        {d.newSetupLink ? (
          <div class="notice" role="status">
            <p>New setup link — copy it now, it is not shown again:</p>
            <p class="secret" data-new-setup-link>
              {d.newSetupLink}
            </p>
          </div>
        ) : null}
        {d.setupLinks.length ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Link id</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col" class="num">Tokens issued</th>
              </tr>
            </thead>
            <tbody>
              {d.setupLinks.map((l) => (
                <tr>
                  <td class="mono">{l.id}</td>
                  <td>{fmtTime(l.createdAt)}</td>
                  <td>{fmtTime(l.expiresAt)}</td>
                  <td>{l.revokedAt !== null ? <span class="pill">revoked</span> : l.expiresAt <= Date.now() ? <span class="pill">expired</span> : <span class="pill ok">live</span>}</td>
                  <td class="num">{l.tokensIssued}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <form method="post" action={`/console/tenants/${enc(d.tenant.id)}/setup-links`} class="inline">
          <div>
            <label for="expiresInDays">Valid for (days)</label>
            <input id="expiresInDays" name="expiresInDays" type="number" min="1" max="30" value="7" />
          </div>
          <button type="submit">Create setup link</button>
        </form>
      </Card>
      <Card title="Find a user" id="find-user">
        <form class="inline" method="get" action={`/console/tenants/${enc(d.tenant.id)}/users`}>
          <div>
            <label for="userId">User id</label>
            <input id="userId" name="id" required />
          </div>
          <button type="submit">Open</button>
        </form>
        <p class="muted">Users are linked from the licences, the provisioning log and the events.</p>
      </Card>
    </div>
  </Layout>
);

export const LicencesPage: FC<{ tenant: Tenant; status: string; licences: LicenceView[]; next: string | null }> = ({ tenant, status, licences, next }) => {
  const base = `/console/tenants/${enc(tenant.id)}/licences`;
  return (
    <Layout title={`${tenant.name} · licences`} signedIn>
      <TenantHeader tenant={tenant} tab="licences" />
      <form class="inline" method="get" action={base}>
        <div>
          <label for="status">State</label>
          <select id="status" name="status">
            <option value="" selected={status === ""}>
              all
            </option>
            <option value="active" selected={status === "active"}>
              active
            </option>
            <option value="downgraded" selected={status === "downgraded"}>
              downgraded
            </option>
          </select>
        </div>
        <button type="submit">Filter</button>
      </form>
      <section class="card" aria-labelledby="licences-h">
        <h2 id="licences-h">Pro licences held now</h2>
        {licences.length === 0 ? (
          <Empty>No licence in this state.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">State</th>
                <th scope="col">Since</th>
                <th scope="col">Downgraded</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {licences.map((l) => (
                <tr data-licence-user={l.userId}>
                  <td>
                    <a href={`/console/tenants/${enc(tenant.id)}/users/${enc(l.userId)}`}>{l.userName}</a>
                  </td>
                  <td>
                    <LicencePill status={l.status} />
                  </td>
                  <td>{fmtTime(l.since)}</td>
                  <td>{fmtTime(l.downgradedAt)}</td>
                  <td>{fmtTime(l.expiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {next ? (
          <div class="pager">
            <a href={`${base}?after=${enc(next)}${status ? `&status=${enc(status)}` : ""}`}>Next →</a>
          </div>
        ) : null}
      </section>
    </Layout>
  );
};

const RequestRows: FC<{ tenant: Tenant; requests: RequestView[]; linkUsers?: boolean }> = ({ tenant, requests, linkUsers = true }) => (
  <table>
    <thead>
      <tr>
        <th scope="col">When</th>
        <th scope="col">Request</th>
        <th scope="col">Status</th>
        <th scope="col">Error</th>
        <th scope="col" class="num">ms</th>
        <th scope="col">Client</th>
      </tr>
    </thead>
    <tbody>
      {requests.map((r) => (
        <tr data-request-id={r.requestId}>
          <td>{fmtTime(r.at)}</td>
          <td class="mono">
            {r.method} {r.path}
            {linkUsers && r.resourceId && r.path.startsWith("/Users") ? (
              <>
                {" "}
                <a href={`/console/tenants/${enc(tenant.id)}/users/${enc(r.resourceId)}`}>user</a>
              </>
            ) : null}
          </td>
          <td>
            <StatusPill status={r.status} />
          </td>
          <td>
            {r.scimType ? <code>{r.scimType}</code> : null} {r.detail ?? ""}
          </td>
          <td class="num">{r.durationMs}</td>
          <td class="muted">{r.userAgent ?? ""}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

export const RequestsTable = RequestRows;

export const RequestLogPage: FC<{ tenant: Tenant; status: string; requests: RequestView[]; next: string | null }> = ({ tenant, status, requests, next }) => {
  const base = `/console/tenants/${enc(tenant.id)}/requests`;
  return (
    <Layout title={`${tenant.name} · provisioning log`} signedIn>
      <TenantHeader tenant={tenant} tab="log" />
      <form class="inline" method="get" action={base}>
        <div>
          <label for="status">Status</label>
          <select id="status" name="status">
            <option value="" selected={status === ""}>
              all
            </option>
            <option value="4xx" selected={status === "4xx"}>
              4xx
            </option>
            <option value="5xx" selected={status === "5xx"}>
              5xx
            </option>
          </select>
        </div>
        <button type="submit">Filter</button>
      </form>
      <section class="card" aria-labelledby="log-h">
        <h2 id="log-h">SCIM requests, newest first</h2>
        {requests.length === 0 ? <Empty>No request in this page.</Empty> : <RequestRows tenant={tenant} requests={requests} />}
        {next ? (
          <div class="pager">
            <a href={`${base}?after=${enc(next)}${status ? `&status=${enc(status)}` : ""}`}>Older →</a>
          </div>
        ) : null}
      </section>
    </Layout>
  );
};

const eventSummary = (e: FeedEvent): string => {
  const data = e.data as Record<string, unknown> | null;
  if (e.type.startsWith("licence.") && data) return `licence ${String(data["status"] ?? "")}${data["expiresAt"] ? `, expires ${fmtTime(String(data["expiresAt"]))}` : ""}`;
  if (data && Array.isArray(data["attributes"])) return `changed: ${(data["attributes"] as unknown[]).map(String).join(", ")}`;
  if (data && typeof data["userId"] === "string" && typeof data["groupId"] === "string") return `user ${data["userId"]}`;
  return "";
};

export const EventsPage: FC<{ tenant: Tenant; events: FeedEvent[]; next: string | undefined; after: string }> = ({ tenant, events, next, after }) => {
  const base = `/console/tenants/${enc(tenant.id)}/events`;
  return (
    <Layout title={`${tenant.name} · events`} signedIn>
      <TenantHeader tenant={tenant} tab="events" />
      <section class="card" aria-labelledby="events-h">
        <h2 id="events-h">Change feed, oldest first</h2>
        {events.length === 0 ? (
          <Empty>No event after this point.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col" class="num">#</th>
                <th scope="col">When</th>
                <th scope="col">Type</th>
                <th scope="col">Resource</th>
                <th scope="col">What</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr data-event={e.id}>
                  <td class="num">{e.sequence}</td>
                  <td>{fmtTime(e.occurredAt)}</td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td class="mono">
                    {e.type.startsWith("user.") || e.type.startsWith("licence.") ? (
                      <a href={`/console/tenants/${enc(tenant.id)}/users/${enc(e.resourceId)}`}>{e.resourceId}</a>
                    ) : (
                      e.resourceId
                    )}
                  </td>
                  <td>{eventSummary(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div class="pager">
          {after ? <a href={base}>← From the oldest</a> : null}
          {next && events.length > 0 ? <a href={`${base}?after=${enc(next)}`}>Newer →</a> : null}
        </div>
      </section>
    </Layout>
  );
};

export interface UserPageData {
  tenant: Tenant;
  userId: string;
  user?: { userName: string; displayName: string | null; active: boolean; externalId: string | null; createdAt: number; lastModified: number; attributes: Array<[string, string]>; groups: GroupRef[] };
  licence: LicenceView | undefined;
  history: HistoryItem[];
  next: string | null;
}

const historyWhat = (item: HistoryItem): string => {
  if (item.kind === "request") return `${item.method} ${item.path}`;
  return eventSummary(item);
};

export const UserPage: FC<UserPageData> = ({ tenant, userId, user, licence, history, next }) => (
  <Layout title={user ? user.userName : "User"} signedIn>
    <TenantHeader tenant={tenant} tab="user" />
    <h2 data-user-heading>{user ? (user.displayName ?? user.userName) : `User ${userId} (deleted or unknown)`}</h2>
    <div class="grid">
      <Card title="Licence" id="licence">
        <p>
          <LicencePill status={licence?.status} />
        </p>
        {licence ? (
          <dl class="kv">
            <dt>Since</dt>
            <dd>{fmtTime(licence.since)}</dd>
            <dt>Downgraded</dt>
            <dd>{fmtTime(licence.downgradedAt)}</dd>
            <dt>Expires</dt>
            <dd>{fmtTime(licence.expiresAt)}</dd>
          </dl>
        ) : (
          <p class="muted">The history below says when and why the licence went (licence.* events, with the request that caused them).</p>
        )}
      </Card>
      <Card title="Groups" id="groups">
        {user && user.groups.length ? (
          <ul>
            {user.groups.map((g) => (
              <li>
                {g.displayName} <span class="muted mono">{g.id}</span>
              </li>
            ))}
          </ul>
        ) : (
          <Empty>No group.</Empty>
        )}
      </Card>
    </div>
    {user ? (
      <Card title="Attributes" id="attributes">
        <dl class="kv">
          <dt>id</dt>
          <dd class="mono">{userId}</dd>
          <dt>userName</dt>
          <dd>{user.userName}</dd>
          <dt>displayName</dt>
          <dd data-display-name>{user.displayName ?? "—"}</dd>
          <dt>active</dt>
          <dd>{user.active ? "true" : "false"}</dd>
          <dt>externalId</dt>
          <dd class="mono">{user.externalId ?? "—"}</dd>
          <dt>created</dt>
          <dd>{fmtTime(user.createdAt)}</dd>
          <dt>last modified</dt>
          <dd>{fmtTime(user.lastModified)}</dd>
          {user.attributes.map(([k, v]) => (
            <>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </>
          ))}
        </dl>
      </Card>
    ) : null}
    <section class="card" aria-labelledby="history-h">
      <h2 id="history-h">History, newest first</h2>
      {history.length === 0 ? (
        <Empty>Nothing recorded for this user within retention.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col">What</th>
              <th scope="col">Request</th>
            </tr>
          </thead>
          <tbody>
            {history.map((item) => (
              <tr data-history={item.kind}>
                <td>{fmtTime(item.at)}</td>
                <td>{item.kind === "event" ? <code>{item.type}</code> : <StatusPill status={item.status} />}</td>
                <td>
                  {historyWhat(item)}
                  {item.kind === "request" && item.detail ? <span class="muted"> — {item.detail}</span> : null}
                </td>
                <td class="mono muted">{item.requestId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next ? (
        <div class="pager">
          <a href={`/console/tenants/${enc(tenant.id)}/users/${enc(userId)}?after=${enc(next)}`}>Older →</a>
        </div>
      ) : null}
    </section>
  </Layout>
);

export const NotFoundPage: FC<{ what: string; signedIn?: boolean }> = ({ what, signedIn }) => (
  <Layout title="Not found" signedIn={signedIn} nav={signedIn ?? false}>
    <h1>Not found</h1>
    <p>{what}</p>
  </Layout>
);
