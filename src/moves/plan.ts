/**
 * The state machine of a tenant move (docs/sharding.md, "Moving a tenant"),
 * pure: the steps of each state in order, what follows a step, and the
 * progress a run records after every unit of work so that the next run
 * resumes exactly there.
 *
 *   copying ──▶ verifying ──▶ switching ──▶ cleaning ──▶ done
 *      │            │
 *      └────────────┴──▶ rolling_back ──▶ aborted | failed
 *
 * Before the switch the tenant lives on the source, writes paused: an abort
 * or a failed verification rolls back (the source takes writes again at
 * once, the target's partial copy is deleted). From `switching` on, a move
 * only goes forward: every step there is idempotent and retried until done.
 */
import { COPY_TABLES, DELETED_TABLES, type Key, type PriorCopy } from "../storage/tenant-copy.js";
import type { ActiveMoveState, MoveState } from "../storage/tenant-moves.js";

export const STEPS = {
  // The target's copy row and counters, then the data in foreign-key order.
  copying: ["prepare", ...COPY_TABLES],
  // Every table compared page by page, then the copy rows and counters.
  verifying: [...COPY_TABLES, "tenant"],
  // The target takes writes, the control database routes there, the source becomes the old copy, KV follows.
  switching: ["open-target", "control", "source", "tokens"],
  // KV caches settle, a second pass over KV, the log written meanwhile, then the old copy's data.
  cleaning: ["settle", "tokens", "log", ...DELETED_TABLES, "tenant_stats"],
  // The target's copy fenced off, its data deleted, its row and counters put back as they were.
  rolling_back: ["fence", ...DELETED_TABLES, "events", "finish"],
} as const satisfies Record<ActiveMoveState, readonly string[]>;

export type Step = (typeof STEPS)[ActiveMoveState][number];

/** A verified table: rows compared and the running SHA-256 over their pages (checksum.ts). */
export interface TableCheck {
  rows: number;
  sha256: string;
}

/** What a move has done so far (tenant_moves.progress, JSON). */
export interface MoveProgress {
  /** The step under way in the move's state. */
  step: Step;
  /** The key reached in the step's table (copy, verify, catch-up). */
  after?: Key;
  /** A KV list cursor (the token steps). */
  cursor?: string;
  /** The target as copying's first step found it: restored by a roll-back, whose event deletes stop at seqFloor. */
  target?: { prior: PriorCopy; seqFloor: number };
  /** Verifying: the tables compared so far. */
  checks?: Record<string, TableCheck>;
  /** Verifying: the hours of the provisioning log compared ([from, before): settled, and clear of retention). */
  logHours?: { from: number; before: number };
  /** Rolling back: how the move ends. */
  outcome?: "aborted" | "failed";
  /** Consecutive runs that failed on this move (reset by a run that makes progress). */
  errors?: number;
}

export function firstStep(state: ActiveMoveState): Step {
  return STEPS[state][0];
}

/**
 * What follows `step` of `state`: the next step, or the next state's first
 * (rolling_back ends in its outcome). Pure.
 */
export function stepAfter(state: ActiveMoveState, step: Step, outcome: "aborted" | "failed" = "aborted"): { state: MoveState; step?: Step } {
  const steps: readonly Step[] = STEPS[state];
  const i = steps.indexOf(step);
  if (i >= 0 && i + 1 < steps.length) return { state, step: steps[i + 1]! };
  switch (state) {
    case "copying":
      return { state: "verifying", step: firstStep("verifying") };
    case "verifying":
      return { state: "switching", step: firstStep("switching") };
    case "switching":
      return { state: "cleaning", step: firstStep("cleaning") };
    case "cleaning":
      return { state: "done" };
    case "rolling_back":
      return { state: outcome };
  }
}

/** Progress as stored; a row that says nothing (`{}`, a fresh move) is at its state's first step. */
export function parseProgress(state: ActiveMoveState, text: string): MoveProgress {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = {};
  }
  const progress = (typeof value === "object" && value !== null ? value : {}) as Partial<MoveProgress>;
  const steps: readonly string[] = STEPS[state];
  return { ...progress, step: progress.step !== undefined && steps.includes(progress.step) ? progress.step : firstStep(state) };
}

/**
 * The progress a move carries into its next step: what it found of the
 * target, its outcome and (while verifying) its checks are kept; the
 * position within a table, the KV cursor and the error count start afresh.
 */
export function progressAt(previous: MoveProgress, step: Step | undefined, keep: { checks?: boolean } = {}): MoveProgress {
  const next: MoveProgress = { step: step ?? previous.step };
  if (previous.target) next.target = previous.target;
  if (previous.outcome) next.outcome = previous.outcome;
  if (keep.checks && previous.checks) next.checks = previous.checks;
  if (keep.checks && previous.logHours) next.logHours = previous.logHours;
  return next;
}

/** How much work one scheduled run does, over every move it advances. */
export interface MoveBudget {
  /** Rows per page read (copy, verify, delete chunk). */
  pageRows: number;
  /** Units of work (a page, a chunk, a KV page, a routing step) per run. */
  pagesPerRun: number;
  /** Wall time a run starts new work in (ms). */
  timeBudgetMs: number;
}

export const DEFAULT_MOVE_BUDGET: MoveBudget = {
  pageRows: 500,
  pagesPerRun: 400,
  // Far under a scheduled invocation's limits, and under the minute between two runs of the
  // every-minute trigger: runs rarely overlap, and the lease settles it when they do.
  timeBudgetMs: 10_000,
};

/**
 * A page's rows bound as one JSON text: at most this many bytes, half of
 * D1's 2,000,000-byte limit on a string value. A page over it is cut short
 * (at least one row), and the next page carries on after its last row.
 */
export const PAGE_BYTES = 1_000_000;

/** The rows of a page that fit PAGE_BYTES once serialised (at least the first). Pure. */
export function fitPage<T>(rows: T[], maxBytes: number = PAGE_BYTES): T[] {
  let bytes = 2;
  for (let i = 0; i < rows.length; i++) {
    bytes += new TextEncoder().encode(JSON.stringify(rows[i])).length + 1;
    if (bytes > maxBytes) return rows.slice(0, Math.max(1, i));
  }
  return rows;
}

/**
 * How long after the switch the old copy is cleaned: KV caches a value up to
 * 60 s at a location (Cloudflare KV, "How KV works": changes may take up to
 * 60 seconds to be visible elsewhere), so a SCIM request may still be routed
 * to the old shard that long — and gets 503 there.
 */
export const KV_SETTLE_MS = 60_000;

/** A move whose source writes were never paused (its start failed half-way) is failed after this long. */
export const PAUSE_GRACE_MS = 60_000;

/** Consecutive failed runs after which a move that has not switched is failed and rolled back. */
export const MAX_CONSECUTIVE_ERRORS = 5;

/** The request_log hours verification compares: settled before the move began, and two hours clear of retention. Pure. */
export function comparedLogHours(startedAt: number, now: number, retentionDays: number): { from: number; before: number } {
  const hour = (ms: number) => Math.floor(ms / 3_600_000);
  return { from: hour(now - retentionDays * 86_400_000) + 2, before: hour(startedAt) - 1 };
}

/** The first hour of the provisioning log the catch-up copies again: entries may be written up to a request's length after it began. Pure. */
export function catchUpFromHour(startedAt: number): number {
  return Math.floor(startedAt / 3_600_000) - 1;
}
