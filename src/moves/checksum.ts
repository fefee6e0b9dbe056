/**
 * Verification's checksums: a page of rows as canonical JSON (the compared
 * columns in a fixed order, values as D1 returns them) and its SHA-256; a
 * table's checksum chains its pages, sha256(previous ‖ page), so two copies
 * agree on it exactly when they agree page by page.
 */
import type { CopyRow } from "../storage/tenant-copy.js";
import type { TableCheck } from "./plan.js";

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The SHA-256 of a page's rows, in order. */
export function pageDigest(rows: CopyRow[]): Promise<string> {
  return sha256(JSON.stringify(rows));
}

/** A table's check after one more page. */
export async function extendCheck(check: TableCheck | undefined, rows: number, digest: string): Promise<TableCheck> {
  return { rows: (check?.rows ?? 0) + rows, sha256: await sha256((check?.sha256 ?? "") + digest) };
}
