/** @jsxImportSource hono/jsx */
/**
 * The page frame of the console and the setup page, and small shared pieces.
 * Every value is rendered through JSX, which escapes it (Hono's JSX escapes
 * text and attribute values); no page uses raw HTML, so a display name such
 * as `<script>…</script>` from an identity provider renders as text.
 */
import type { Child, FC, PropsWithChildren } from "hono/jsx";

export const fmtTime = (iso: string | number | null | undefined): string => {
  if (iso === null || iso === undefined) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "—" : `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
};

export const fmtNumber = (n: number): string => n.toLocaleString("en-US");

export const Layout: FC<PropsWithChildren<{ title: string; signedIn?: boolean; nav?: boolean }>> = ({ title, signedIn, nav = true, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>{title} · scim-edge</title>
      <link rel="stylesheet" href="/console/console.css" />
    </head>
    <body>
      <header class="top">
        <span class="brand">scim-edge</span>
        {nav ? (
          <nav aria-label="Console">
            <a href="/console">Tenants</a>
          </nav>
        ) : (
          <nav aria-label="Setup">
            <span>Provisioning setup</span>
          </nav>
        )}
        {signedIn ? (
          <form method="post" action="/console/sign-out">
            <button type="submit">Sign out</button>
          </form>
        ) : null}
      </header>
      <main>{children}</main>
    </body>
  </html>
);

export const Card: FC<PropsWithChildren<{ title: string; id?: string }>> = ({ title, id, children }) => (
  <section class="card" aria-labelledby={id ? `${id}-h` : undefined}>
    <h2 id={id ? `${id}-h` : undefined}>{title}</h2>
    {children}
  </section>
);

export const Stat: FC<{ label: string; value: number; id?: string }> = ({ label, value, id }) => (
  <div>
    <dt>{label}</dt>
    <dd data-stat={id}>{fmtNumber(value)}</dd>
  </div>
);

export const statusClass = (status: number): string => (status >= 500 ? "bad" : status >= 400 ? "warn" : "ok");

export const StatusPill: FC<{ status: number }> = ({ status }) => <span class={`pill ${statusClass(status)}`}>{status}</span>;

export const LicencePill: FC<{ status: string | undefined }> = ({ status }) =>
  status === "active" ? <span class="pill ok">Pro · active</span> : status === "downgraded" ? <span class="pill warn">Pro · downgraded</span> : <span class="pill">No Pro licence</span>;

export const Empty: FC<{ children: Child }> = ({ children }) => <p class="empty">{children}</p>;

/** The Tenant URL as both pages show it (a `<dl class="kv">` entry the browser tests find by data-tenant-url). */
export const TenantUrlField: FC<{ url: string }> = ({ url }) => (
  <>
    <dt>Tenant URL</dt>
    <dd>
      <code class="url" data-tenant-url>
        {url}
      </code>
    </dd>
  </>
);
