/** @jsxImportSource hono/jsx */
/**
 * The customer's self-serve setup page, opened with a setup link
 * (src/storage/setup-links.ts): the Tenant URL, a button that issues a
 * labelled Secret Token shown once, Microsoft Entra ID and Okta steps, and
 * the tenant's recent provisioning log with the last Test Connection probe.
 * It shows this tenant only.
 */
import type { FC } from "hono/jsx";
import type { VendorConfig } from "../env.js";
import type { RequestView } from "../provisioning-log/requests.js";
import type { Tenant } from "../storage/tenants.js";
import type { TestConnectionProbe } from "../storage/test-connection-probes.js";
import { Card, Empty, TenantUrlField, fmtTime, Layout } from "./layout.js";
import { RequestsTable } from "./pages.js";

export interface SetupPageData {
  tenant: Tenant;
  tenantUrl: string;
  tokensLeft: number;
  expiresAt: number;
  config: VendorConfig;
  requests: RequestView[];
  probe: TestConnectionProbe | undefined;
  /** A token just issued: shown this once. */
  issued?: { token: string; label: string };
}

export const SetupPage: FC<SetupPageData> = (d) => {
  const licenceAttr = `${d.config.groupExtensionUrn}:${d.config.groupLicenceAttribute}`;
  const locationAttr = `${d.config.userExtensionUrn}:${d.config.userExtensionAttributes[0] ?? "location"}`;
  return (
    <Layout title={`Set up provisioning · ${d.tenant.name}`} nav={false}>
      <h1>Set up user provisioning for {d.tenant.name}</h1>
      <p class="sub">This page is for {d.tenant.name}'s identity administrators. The link expires {fmtTime(d.expiresAt)}.</p>
      <section class="card" aria-labelledby="conn-h">
        <h2 id="conn-h">1. Tenant URL and Secret Token</h2>
        <dl class="kv">
          <TenantUrlField url={d.tenantUrl} />
        </dl>
        {d.issued ? (
          <div class="notice warn" role="status">
            <p>
              Secret Token <strong>{d.issued.label}</strong> — copy it now into your identity provider; it is not shown again:
            </p>
            <p class="secret" data-issued-token>
              {d.issued.token}
            </p>
          </div>
        ) : null}
        {d.tokensLeft > 0 ? (
          // No action: the form posts to this page's own URL, so the link's secret is not repeated in the HTML.
          <form method="post" class="inline">
            <div>
              <label for="label">Token label</label>
              <input id="label" name="label" maxlength={100} value="Microsoft Entra ID" required />
            </div>
            <button type="submit">Issue a Secret Token</button>
          </form>
        ) : (
          <p class="muted">This link has issued all the tokens it may. Ask your vendor's support for another link.</p>
        )}
      </section>
      <div class="grid">
        <Card title="2. Microsoft Entra ID" id="entra">
          <ol class="steps">
            <li>
              Entra admin center → <strong>Enterprise applications</strong> → New application → <em>Create your own application</em> → "Integrate any
              other application you don't find in the gallery".
            </li>
            <li>
              <strong>Provisioning</strong> → Get started → Provisioning Mode <strong>Automatic</strong>.
            </li>
            <li>
              Admin Credentials: <strong>Tenant URL</strong> = the Tenant URL above; <strong>Secret Token</strong> = the token you issued.
            </li>
            <li>
              <strong>Test Connection</strong>, then Save. The probe appears under "Last Test Connection" below.
            </li>
            <li>
              Mappings → <em>Provision Microsoft Entra ID Users</em>: keep <code>userName</code>, <code>active</code>,{" "}
              <code>emails[type eq "work"].value</code>, <code>name.givenName</code>, <code>name.familyName</code>, <code>displayName</code>,{" "}
              <code>externalId</code>. Optional: Show advanced options → Edit attribute list → add <code>{locationAttr}</code>.
            </li>
            <li>
              Mappings → <em>Provision Microsoft Entra ID Groups</em>: keep <code>displayName</code>, <code>members</code>, <code>externalId</code>; add
              the attribute <code>{licenceAttr}</code> (type String) mapped with the expression:
              <pre>{`Switch([objectId], "false", "<object id of your Pro group>", "true")`}</pre>
              Members of your Pro group get the Pro licence; other groups' members do not.
            </li>
            <li>
              Assign the users and groups, set Provisioning Status <strong>On</strong>. Entra runs a first cycle, then one about every 40 minutes.
            </li>
          </ol>
        </Card>
        <Card title="2. Or Okta" id="okta">
          <ol class="steps">
            <li>Applications → Create App Integration → SAML 2.0 or SWA app → General: enable <strong>SCIM provisioning</strong>.</li>
            <li>
              Provisioning → Integration: <strong>SCIM connector base URL</strong> = the Tenant URL; <strong>Unique identifier field</strong> ={" "}
              <code>userName</code>.
            </li>
            <li>
              Supported actions: Push New Users, Push Profile Updates, Push Groups. <strong>Authentication Mode</strong>: HTTP Header, with the Secret
              Token.
            </li>
            <li>
              <strong>Test Connector Configuration</strong>, then Save; under "To App" enable Create Users, Update User Attributes, Deactivate Users.
            </li>
            <li>Push Groups: push your Pro group. Okta sends only displayName and members, so ask your vendor to make that group the licensing one.</li>
          </ol>
        </Card>
      </div>
      <section class="card" aria-labelledby="probe-h">
        <h2 id="probe-h">3. Last Test Connection</h2>
        {d.probe ? (
          <dl class="kv" data-probe>
            <dt>Received</dt>
            <dd>{fmtTime(d.probe.at)}</dd>
            <dt>Client</dt>
            <dd>{d.probe.userAgent ?? "—"}</dd>
            <dt>Request id</dt>
            <dd class="mono">{d.probe.requestId}</dd>
          </dl>
        ) : (
          <Empty>No Test Connection received yet. A failed one (wrong token) shows as a 401 in the log below.</Empty>
        )}
      </section>
      <section class="card" aria-labelledby="recent-h">
        <h2 id="recent-h">Recent requests from your identity provider</h2>
        {d.requests.length ? <RequestsTable tenant={d.tenant} requests={d.requests} linkUsers={false} /> : <Empty>No request yet.</Empty>}
      </section>
    </Layout>
  );
};
