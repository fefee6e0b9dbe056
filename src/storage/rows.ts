import { getTableColumns } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/**
 * A mapper from a row as D1 returns it for raw SQL (snake_case column names,
 * integers for booleans) to the table's `$inferSelect` type, built from the
 * Drizzle schema so the two cannot drift. Raw SQL stays where a statement
 * needs what Drizzle's builder cannot say (changes(), json_each, RETURNING
 * in a batch); its rows still come out typed by the schema.
 */
export function rowMapper<T extends SQLiteTable>(table: T): (raw: Record<string, unknown>) => T["$inferSelect"] {
  const columns = Object.entries(getTableColumns(table));
  return (raw) => {
    const out: Record<string, unknown> = {};
    for (const [key, column] of columns) {
      const value = raw[column.name];
      out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return out as T["$inferSelect"];
  };
}
