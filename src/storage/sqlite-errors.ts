/**
 * D1 surfaces SQLite constraint failures as Error messages (there is no error
 * code API); Drizzle wraps them ("Failed query: …") and keeps the D1 error as
 * `cause`, so the whole chain is searched.
 */
function failed(err: unknown, pattern: RegExp): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (pattern.test(e.message)) return true;
  return false;
}

/** A UNIQUE (or primary key) constraint failed; with `target` (e.g. "tenants.id"), on that column only. */
export function isUniqueViolation(err: unknown, target?: string): boolean {
  if (target !== undefined) return failed(err, new RegExp(`UNIQUE constraint failed: ${target.replace(/[.]/g, "\\.")}\\b`, "i"));
  return failed(err, /UNIQUE constraint failed|SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE)/i);
}

export function isForeignKeyViolation(err: unknown): boolean {
  return failed(err, /FOREIGN KEY constraint failed/i);
}
