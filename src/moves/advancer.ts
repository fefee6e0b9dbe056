/**
 * The advancer: run by the scheduled handler on every trigger (src/scheduled.ts),
 * it takes the moves under way, one lease each, and does a bounded amount of
 * work on them — `pagesPerRun` units (a page copied or compared, a chunk
 * deleted, a KV page, a routing step) within `timeBudgetMs` — saving the
 * progress after each unit, so a run that stops anywhere (its budget, an
 * error, the isolate's end) is resumed by the next exactly there.
 *
 * Two runs never advance one move: the lease is taken by a conditional
 * update (D1 runs one query at a time per database, so one run gets it),
 * every save is conditional on it, and a run whose lease lapsed while a page
 * was in flight is stopped by the target copy's fence (storage/tenant-copy.ts).
 *
 * With one data shard nothing can move, and the run reads nothing.
 */
import { errorFields, log } from "../log.js";
import { D1Meter } from "../storage/d1-meter.js";
import type { RequestDatabase } from "../storage/database.js";
import { movable, openControl } from "../storage/shards.js";
import { MoveFenced } from "../storage/tenant-copy.js";
import { ABORTABLE_MOVE_STATES, claimMove, isActiveMoveState, movesToAdvance, releaseMove, type TenantMoveRow } from "../storage/tenant-moves.js";
import { cleaningStep } from "./cleaning.js";
import { copyingStep } from "./copying.js";
import { DEFAULT_MOVE_BUDGET, MAX_CONSECUTIVE_ERRORS, parseProgress, type MoveBudget } from "./plan.js";
import { rollingBackStep } from "./rolling-back.js";
import { failMove, MoveRun, type MoveEnv, type StepOutcome } from "./run.js";
import { switchingStep } from "./switching.js";
import { verifyingStep } from "./verifying.js";

/** Moves one run takes on; more wait for the next run. */
export const MOVES_PER_RUN = 10;
/** Margin of a lease over the run's time budget: a unit of work started just before the deadline ends inside it. */
export const LEASE_MARGIN_MS = 40_000;

export interface AdvanceOptions {
  budget?: Partial<MoveBudget>;
  /** Wall clock (ms): leases, the KV settling wait, timestamps. Date.now unless a test sets it. */
  clock?: () => number;
  /** Called once a tenant's old copy is marked moved: src/scheduled.ts makes this isolate forget its liveness (middleware/live-tenant). */
  onSwitched?: (tenantId: string) => void;
  /**
   * Tests: end the run dead at its `units`-th unit of work, as if the isolate ended there — no lease
   * released, nothing more recorded — either once that unit is saved ("saved") or after its D1 work
   * and before its save ("unsaved"), to show that the next run resumes from the last save.
   */
  interrupt?: { units: number; at: "saved" | "unsaved" };
}

export interface AdvanceReport {
  /** Moves this run held. */
  moves: number;
  /** Units of work done. */
  pages: number;
  /** Moves that reached done, failed or aborted in this run. */
  ended: number;
  /** Whether the run left no claimable work for lack of budget. */
  complete: boolean;
  rowsRead: number;
  rowsWritten: number;
}

/** Thrown by `interruptAfterPages`: the run ends as a crash would end it. */
export class RunInterrupted extends Error {
  constructor() {
    super("The move run was interrupted (test).");
    this.name = "RunInterrupted";
  }
}

const STEP: Record<string, (run: MoveRun) => Promise<StepOutcome>> = {
  copying: copyingStep,
  verifying: verifyingStep,
  switching: switchingStep,
  cleaning: cleaningStep,
  rolling_back: rollingBackStep,
};

/** Counts a run's units of work against its budget. */
export class Budget {
  pages = 0;
  private readonly deadline: number;
  constructor(
    readonly limits: MoveBudget,
    private readonly clock: () => number,
    private readonly interrupt: AdvanceOptions["interrupt"],
  ) {
    this.deadline = clock() + limits.timeBudgetMs;
  }
  get spent(): boolean {
    return this.pages >= this.limits.pagesPerRun || this.clock() >= this.deadline;
  }
  /** Before a unit's save (MoveRun.save). */
  readonly beforeSave = (): void => {
    if (this.interrupt?.at === "unsaved" && this.pages + 1 >= this.interrupt.units) throw new RunInterrupted();
  };
  /** After a unit. */
  count(): void {
    this.pages += 1;
    if (this.interrupt?.at === "saved" && this.pages >= this.interrupt.units) throw new RunInterrupted();
  }
}

/** Works on a held move until it ends, waits, is lost, or the budget is spent. */
export async function driveMove(run: MoveRun, budget: Budget): Promise<void> {
  while (!budget.spent && isActiveMoveState(run.state)) {
    const outcome = await STEP[run.state]!(run);
    budget.count();
    if (outcome !== "advanced") return;
  }
}

/**
 * A run that failed on a move: a log line, and the count of consecutive
 * failed runs; a move that has not switched is failed (and rolled back)
 * after MAX_CONSECUTIVE_ERRORS. After the switch it only goes forward: it is
 * retried on every run, and the log says why it does not finish.
 */
async function recordError(run: MoveRun, err: unknown): Promise<void> {
  log("error", { type: "tenant-move-error", tenant: run.tenantId, move: run.move.id, state: run.state, step: run.progress.step, ...errorFields(err) });
  if (err instanceof MoveFenced) return;
  const errors = (run.progress.errors ?? 0) + 1;
  try {
    if ((ABORTABLE_MOVE_STATES as readonly string[]).includes(run.state) && errors >= MAX_CONSECUTIVE_ERRORS) {
      await failMove(run, `The move failed ${errors} runs in a row at ${run.state} (${run.progress.step}); see the log lines of type tenant-move-error.`);
    } else {
      await run.saveErrors(errors);
    }
  } catch (again) {
    log("error", { type: "tenant-move-error", tenant: run.tenantId, move: run.move.id, state: run.state, step: "record-error", ...errorFields(again) });
  }
}

/** Holds `move` (already leased by `owner`) for the rest of the budget, then gives the lease up. */
export async function advanceHeldMove(
  env: MoveEnv,
  control: RequestDatabase,
  move: TenantMoveRow,
  owner: string,
  budget: Budget,
  options: Pick<AdvanceOptions, "clock" | "onSwitched">,
): Promise<boolean> {
  if (!isActiveMoveState(move.state)) return true;
  const run = new MoveRun(env, control, move, move.state, parseProgress(move.state, move.progress), owner, options.clock ?? Date.now, budget.limits, options.onSwitched, budget.beforeSave);
  try {
    await driveMove(run, budget);
  } catch (err) {
    if (err instanceof RunInterrupted) throw err;
    await recordError(run, err);
  }
  await releaseMove(control.d1, move.tenantId, owner);
  return !isActiveMoveState(run.state);
}

export function newBudget(options: Pick<AdvanceOptions, "budget" | "clock" | "interrupt">): Budget {
  return new Budget({ ...DEFAULT_MOVE_BUDGET, ...options.budget }, options.clock ?? Date.now, options.interrupt);
}

export function leaseUntil(now: number, budget: MoveBudget): number {
  return now + budget.timeBudgetMs + LEASE_MARGIN_MS;
}

/** One scheduled run over the moves under way (see above). */
export async function advanceTenantMoves(env: MoveEnv, scheduledTime: number, options: AdvanceOptions = {}): Promise<AdvanceReport> {
  const report: AdvanceReport = { moves: 0, pages: 0, ended: 0, complete: true, rowsRead: 0, rowsWritten: 0 };
  if (!movable(env)) return report;
  const clock = options.clock ?? Date.now;
  const meter = new D1Meter();
  const control = await openControl(env, meter);
  const budget = newBudget(options);
  const owner = `moves:${scheduledTime}:${crypto.randomUUID()}`;
  try {
    for (const candidate of await movesToAdvance(control.d1, clock(), MOVES_PER_RUN)) {
      if (budget.spent) {
        report.complete = false;
        break;
      }
      const now = clock();
      const move = await claimMove(control.d1, candidate.tenantId, candidate.state, owner, now, leaseUntil(now, budget.limits));
      if (!move) continue;
      report.moves += 1;
      if (await advanceHeldMove(env, control, move, owner, budget, options)) report.ended += 1;
    }
  } finally {
    report.pages = budget.pages;
    report.rowsRead = meter.rowsRead;
    report.rowsWritten = meter.rowsWritten;
  }
  return report;
}

/** The scheduled handler's call: one JSON line when there was work, and a redacted error when the run failed. */
export async function runTenantMoves(env: MoveEnv, scheduledTime: number, options: AdvanceOptions = {}): Promise<void> {
  const started = Date.now();
  try {
    const report = await advanceTenantMoves(env, scheduledTime, options);
    if (report.moves > 0) log("info", { type: "tenant-moves", ...report, scheduledTime: new Date(scheduledTime).toISOString(), durationMs: Date.now() - started });
  } catch (err) {
    // As for the licence sweep (src/scheduled.ts): a redacted line, and an error that says only where to look.
    log("error", { type: "tenant-moves-failed", ...errorFields(err) });
    // eslint-disable-next-line preserve-caught-error
    throw new Error("Tenant move run failed; see the log line of type tenant-moves-failed.");
  }
}
