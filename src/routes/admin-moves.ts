/**
 * Tenant moves in the admin API (docs/sharding.md, "Moving a tenant"),
 * mounted by src/routes/admin.ts at /admin/tenants/:id/move, behind the
 * admin bearer token:
 *
 *   POST   /   { "to": "<shard>" } → 202 { move }: writes paused, the scheduled runs copy, verify, switch, clean
 *   GET    /   → 200 { move }: the tenant's latest move; 404 when it never moved
 *   DELETE /   → 200 { move } rolled back (aborted), or 202 { move } while the roll-back continues
 *              in the scheduled runs; 409 once the move has switched (move the tenant back instead)
 *
 * The engine is src/moves/; errors are AdminRequestErrors rendered by
 * adminErrorHandler (src/routes/admin-request.ts).
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context.js";
import { forgetTenant } from "../middleware/live-tenant/index.js";
import { abortMove, MoveNotStarted, startMove } from "../moves/lifecycle.js";
import { parseProgress } from "../moves/plan.js";
import { dateTime } from "../scim/data-types.js";
import type { Database } from "../storage/database.js";
import { shardNames } from "../storage/shards.js";
import { activeMove, getMove, isActiveMoveState, MOVE_STATES, type TenantMoveRow } from "../storage/tenant-moves.js";
import { errorReply, instant, noTenantReply, type Operation } from "./admin-openapi.js";
import { adminErrorHandler, conflict, invalid, jsonBody, notFound, pathTenant } from "./admin-request.js";

/** 409 while a move is under way: a policy change or a delete must not race the copy. */
export async function refuseWhileMoving(db: Database, tenantId: string, what: string): Promise<void> {
  const move = await activeMove(db, tenantId);
  if (move) throw conflict(`Tenant "${tenantId}" is moving to ${move.toShard} (${move.state}): abort or finish the move before you ${what}.`);
}

const startBody = z.strictObject({
  to: z
    .string({ error: "must be a string" })
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: "must be a D1 binding name listed in DATA_SHARDS" })
    .meta({ description: "The data shard (a D1 binding listed in DATA_SHARDS) to move the tenant to." }),
});

const tableCheck = z.strictObject({
  rows: z.int().nonnegative().meta({ description: "Rows compared." }),
  sha256: z.string().meta({ description: "SHA-256 chained over the pages compared (equal on both shards)." }),
});

const moveResponse = z
  .strictObject({
    id: z.string(),
    tenantId: z.string(),
    state: z.enum(MOVE_STATES).meta({
      description:
        "copying → verifying → switching → cleaning → done; before the switch an abort or a failed verification goes rolling_back → aborted | failed, and the tenant stays on `from`, writable.",
    }),
    from: z.string().meta({ description: "The shard the tenant was on when the move began." }),
    to: z.string(),
    step: z.string().nullable().meta({ description: "What the state is doing now (a table, `tokens`, `settle`…); null once the move is over." }),
    rowsCopied: z.int().nonnegative(),
    verification: z.record(z.string(), tableCheck).nullable().meta({ description: "Per table, what verification compared; null until it passed." }),
    error: z.string().nullable().meta({ description: "Why the move failed." }),
    startedAt: instant,
    updatedAt: instant,
    switchedAt: instant.nullable().meta({ description: "When the routing (control database and KV) named `to`." }),
    finishedAt: instant.nullable(),
  })
  .meta({ id: "TenantMove", description: "A tenant's move between data shards (docs/sharding.md)." });
const moveReply = z.strictObject({ move: moveResponse });

function moveView(m: TenantMoveRow): z.output<typeof moveResponse> {
  let verification: Record<string, { rows: number; sha256: string }> | null;
  try {
    verification = m.verification ? (JSON.parse(m.verification) as Record<string, { rows: number; sha256: string }>) : null;
  } catch {
    verification = null;
  }
  return {
    id: m.id,
    tenantId: m.tenantId,
    state: m.state as z.output<typeof moveResponse>["state"],
    from: m.fromShard,
    to: m.toShard,
    step: isActiveMoveState(m.state) ? parseProgress(m.state, m.progress).step : null,
    rowsCopied: m.rowsCopied,
    verification,
    error: m.error,
    startedAt: dateTime(m.startedAt),
    updatedAt: dateTime(m.updatedAt),
    switchedAt: m.switchedAt === null ? null : dateTime(m.switchedAt),
    finishedAt: m.finishedAt === null ? null : dateTime(m.finishedAt),
  };
}

const reply = (c: Context<AppEnv>, m: TenantMoveRow, status: 200 | 202) => c.json({ move: moveView(m) }, status);

export function moveRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(adminErrorHandler);

  app.post("/", async (c) => {
    const control = c.get("database");
    const tenant = await pathTenant(c);
    const { to } = await jsonBody(c, startBody);
    const names = shardNames(c.env);
    if (names.length < 2) throw invalid([{ field: "to", message: `cannot name another shard: this deployment has one data shard (DATA_SHARDS: ${names.join(", ")})` }]);
    if (!names.includes(to)) throw invalid([{ field: "to", message: `is not a data shard of this deployment (DATA_SHARDS: ${names.join(", ")})` }]);
    if (to === tenant.shard) throw conflict(`Tenant "${tenant.id}" is on ${to} already.`, [{ field: "to", message: "is the tenant's shard already" }]);
    try {
      return reply(c, await startMove(c.env, control, tenant, to), 202);
    } catch (err) {
      if (err instanceof MoveNotStarted) throw conflict(err.message);
      throw err;
    }
  });

  app.get("/", async (c) => {
    const tenant = await pathTenant(c);
    const move = await getMove(c.get("database").db, tenant.id);
    // A move recorded before the tenant was created was an earlier tenant's of the same id (a delete keeps the row).
    if (!move || move.startedAt < tenant.createdAt) throw notFound(`Tenant "${tenant.id}" has never moved.`);
    return reply(c, move, 200);
  });

  app.delete("/", async (c) => {
    const tenant = await pathTenant(c);
    const result = await abortMove(c.env, c.get("database"), tenant.id);
    if (result.kind === "none" || result.move.startedAt < tenant.createdAt) throw notFound(`Tenant "${tenant.id}" has never moved.`);
    // This isolate's SCIM requests see the source take writes again at once.
    forgetTenant(tenant.id);
    const { move } = result;
    if (result.kind === "aborting" || move.state === "rolling_back") return reply(c, move, move.state === "aborted" ? 200 : 202);
    if (move.state === "switching" || move.state === "cleaning") {
      throw conflict(`Tenant "${tenant.id}" has switched to ${move.toShard} (${move.state}): a move cannot be rolled back after the switch; move it back instead.`);
    }
    throw conflict(`Tenant "${tenant.id}" has no move under way: its last one is ${move.state}.`);
  });

  return app;
}

/** The routes above for the OpenAPI document, relative to /admin/tenants/:id/move. */
export const moveOperations: Operation[] = [
  {
    operationId: "startTenantMove",
    method: "post",
    path: "/",
    tag: "Tenants",
    summary: "Move the tenant to another data shard",
    description:
      "Writes are paused at once (SCIM writes answer 503 with Retry-After; reads keep working); the scheduled runs copy the data in bounded pages, verify counts and checksums, switch the routing (control database and KV) and delete the old copy. Follow it with GET.",
    body: startBody,
    responses: {
      202: { description: "Started: the move, state `copying`.", body: moveReply },
      400: errorReply("invalid_request: `to` is not a shard of DATA_SHARDS, or the deployment has one shard only."),
      404: noTenantReply,
      409: errorReply("conflict: `to` is the tenant's shard already (`fields` names `to`), or a move is under way."),
    },
  },
  {
    operationId: "getTenantMove",
    method: "get",
    path: "/",
    tag: "Tenants",
    summary: "The tenant's latest move and where it stands",
    responses: { 200: { description: "The move.", body: moveReply }, 404: errorReply("not_found: no such tenant, or it never moved.") },
  },
  {
    operationId: "abortTenantMove",
    method: "delete",
    path: "/",
    tag: "Tenants",
    summary: "Abort a move before its switch: roll it back",
    description: "The tenant's writes resume on its shard at once; the partial copy is deleted, here or by the next scheduled runs.",
    responses: {
      200: { description: "Rolled back: state `aborted`.", body: moveReply },
      202: { description: "Rolling back: state `rolling_back`; the scheduled runs finish it.", body: moveReply },
      404: errorReply("not_found: no such tenant, or it never moved."),
      409: errorReply("conflict: the move has switched (move the tenant back instead), or no move is under way."),
    },
  },
];
