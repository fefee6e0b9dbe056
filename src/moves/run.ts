/**
 * One run's hold on one move: the move as the run last saved it, its two
 * shards, the lease, and `save`, through which every step records what it
 * did — conditional on the lease and on the state the run holds, so a run
 * that lost either changes nothing more (storage/tenant-moves.ts).
 */
import type { Env } from "../env.js";
import { errorFields, log } from "../log.js";
import type { RequestDatabase } from "../storage/database.js";
import { CONTROL_BINDING, openShard } from "../storage/shards.js";
import { resumeWrites } from "../storage/tenant-copy.js";
import { saveMove, switchControlShard, type ActiveMoveState, type MoveChange, type MoveState, type TenantMoveRow } from "../storage/tenant-moves.js";
import { progressAt, type MoveBudget, type MoveProgress } from "./plan.js";

export type MoveEnv = Pick<Env, "DB" | "DATA_SHARDS" | "TOKENS" | "EVENT_RETENTION_DAYS">;

/**
 * What a step reports: it did a unit of work and saved it ("advanced"), it
 * has nothing to do yet ("waiting": KV caches settling, a start not
 * finished), or the run lost the move ("lost": lease or state changed).
 */
export type StepOutcome = "advanced" | "waiting" | "lost";

export interface SaveChange {
  state?: MoveState;
  progress?: MoveProgress;
  verification?: string | null;
  error?: string | null;
  /** Rows written by this unit of work, added to rows_copied. */
  rowsCopied?: number;
  switchedAt?: number;
  finishedAt?: number;
  release?: boolean;
  /** The switch on the control database: `tenants.shard` becomes this in the same transaction. */
  switchShardTo?: string;
}

export class MoveRun {
  move: TenantMoveRow;
  state: ActiveMoveState;
  progress: MoveProgress;
  private shards = new Map<string, Promise<RequestDatabase>>();

  constructor(
    readonly env: MoveEnv,
    readonly control: RequestDatabase,
    move: TenantMoveRow,
    state: ActiveMoveState,
    progress: MoveProgress,
    readonly owner: string,
    readonly clock: () => number,
    readonly budget: MoveBudget,
    readonly onSwitched: ((tenantId: string) => void) | undefined,
    /** Called before every save (the advancer's test interruption). */
    private readonly beforeSave: () => void = () => undefined,
  ) {
    this.move = move;
    this.state = state;
    this.progress = progress;
  }

  get tenantId(): string {
    return this.move.tenantId;
  }

  /** The fence of this move's copy on the target: its start time, the target copy's writes_paused_at (storage/tenant-copy.ts). */
  get fence(): number {
    return this.move.startedAt;
  }

  /** Whether the target is the control database, whose copy of the tenant is the control row itself. */
  get targetIsControl(): boolean {
    return this.move.toShard === CONTROL_BINDING;
  }

  private open(name: string): Promise<RequestDatabase> {
    let shard = this.shards.get(name);
    if (!shard) {
      shard = openShard(this.env, name, this.control.meter);
      this.shards.set(name, shard);
    }
    return shard;
  }

  source(): Promise<RequestDatabase> {
    return this.open(this.move.fromShard);
  }

  target(): Promise<RequestDatabase> {
    return this.open(this.move.toShard);
  }

  /**
   * Records a unit of work: state, progress, counters. False when the lease
   * or the state was lost; the run then stops and changes nothing more.
   * The consecutive-error count is dropped: this run made progress.
   */
  async save(change: SaveChange): Promise<boolean> {
    this.beforeSave();
    const { errors: _errors, ...progress } = change.progress ?? this.progress;
    const now = this.clock();
    const rowsCopied = this.move.rowsCopied + (change.rowsCopied ?? 0);
    const stored: MoveChange = { progress: JSON.stringify(progress), rowsCopied };
    if (change.state !== undefined) stored.state = change.state;
    if (change.verification !== undefined) stored.verification = change.verification;
    if (change.error !== undefined) stored.error = change.error;
    if (change.switchedAt !== undefined) stored.switchedAt = change.switchedAt;
    if (change.finishedAt !== undefined) stored.finishedAt = change.finishedAt;
    if (change.release) stored.release = true;
    const ok =
      change.switchShardTo !== undefined
        ? await switchControlShard(this.control.d1, this.tenantId, change.switchShardTo, this.owner, { ...stored, state: stored.state ?? this.state }, now)
        : await saveMove(this.control.d1, this.tenantId, this.owner, this.state, stored, now);
    if (!ok) return false;
    this.progress = progress as MoveProgress;
    this.move = {
      ...this.move,
      state: change.state ?? this.state,
      progress: stored.progress!,
      rowsCopied,
      updatedAt: now,
      ...(change.verification !== undefined ? { verification: change.verification } : {}),
      ...(change.error !== undefined ? { error: change.error } : {}),
      ...(change.switchedAt !== undefined ? { switchedAt: change.switchedAt } : {}),
      ...(change.finishedAt !== undefined ? { finishedAt: change.finishedAt } : {}),
    };
    if (change.state !== undefined && change.state !== this.state) this.state = change.state as ActiveMoveState;
    return true;
  }

  /** Records the same step's error count (a failed run) without dropping it. */
  async saveErrors(errors: number): Promise<boolean> {
    return saveMove(this.control.d1, this.tenantId, this.owner, this.state, { progress: JSON.stringify({ ...this.progress, errors }) }, this.clock());
  }
}

/**
 * Fails a move that has not switched: state `rolling_back` (outcome
 * `failed`, with `error`), and the source takes writes again at once — the
 * tenant stays where it is, readable and writable, while later units of
 * work delete the target's partial copy.
 */
export async function failMove(run: MoveRun, error: string): Promise<StepOutcome> {
  const saved = await run.save({ state: "rolling_back", progress: { ...progressAt(run.progress, "fence"), outcome: "failed" }, error });
  if (!saved) return "lost";
  log("warn", { type: "tenant-move-failed", tenant: run.tenantId, move: run.move.id, from: run.move.fromShard, to: run.move.toShard });
  try {
    await resumeWrites((await run.source()).d1, run.tenantId);
  } catch (err) {
    // The roll-back's last step resumes them again; until then the tenant's writes wait.
    log("error", { type: "tenant-move-error", tenant: run.tenantId, move: run.move.id, state: run.state, step: "resume-writes", ...errorFields(err) });
  }
  return "advanced";
}
