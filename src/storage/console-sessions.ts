/**
 * Sessions of the support console (src/console/): created when someone signs
 * in with the ADMIN_TOKEN, ended by sign-out or expiry. D1 keeps the id, the
 * SHA-256 of the secret and the expiry; the cookie holds `<id>.<secret>`.
 */
import { and, eq, lte } from "drizzle-orm";
import type { Database } from "./database.js";
import { newResourceId } from "./ids.js";
import { consoleSessions } from "./schema.js";
import { newSecret, secretMatches, splitPresented } from "./secrets.js";

/** 8 hours: a working day, so a forgotten browser does not stay signed in for long. */
export const SESSION_TTL_MS = 8 * 3_600_000;

export async function createConsoleSession(db: Database, now: number = Date.now()): Promise<{ cookieValue: string; expiresAt: number }> {
  const id = newResourceId(now);
  const { presented, secretHash } = await newSecret(id);
  const expiresAt = now + SESSION_TTL_MS;
  // Expired sessions go when someone signs in: the table stays as small as the live sessions.
  await db.batch([
    db.delete(consoleSessions).where(lte(consoleSessions.expiresAt, now)),
    db.insert(consoleSessions).values({ id, secretHash, createdAt: now, expiresAt }),
  ]);
  return { cookieValue: presented, expiresAt };
}

/** Whether the cookie value names a live session (its secret checked in constant time). */
export async function consoleSessionValid(db: Database, cookieValue: string | undefined, now: number = Date.now()): Promise<boolean> {
  const parts = splitPresented(cookieValue);
  if (!parts) return false;
  const [row] = await db.select().from(consoleSessions).where(eq(consoleSessions.id, parts.id));
  if (!row || row.expiresAt <= now) return false;
  return secretMatches(parts.secret, row.secretHash);
}

/** Sign-out: the session stops working at once, whatever copy of the cookie is left. */
export async function endConsoleSession(db: Database, cookieValue: string | undefined): Promise<void> {
  const parts = splitPresented(cookieValue);
  if (!parts) return;
  const [row] = await db.select().from(consoleSessions).where(eq(consoleSessions.id, parts.id));
  if (row && (await secretMatches(parts.secret, row.secretHash))) {
    await db.delete(consoleSessions).where(and(eq(consoleSessions.id, parts.id), eq(consoleSessions.secretHash, row.secretHash)));
  }
}
