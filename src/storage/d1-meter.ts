/**
 * D1 metering: the rows every statement of a request read and wrote, summed
 * into a D1Meter (x-d1-rows-read / x-d1-rows-written and the request log).
 *
 * D1 reports rows only in the `meta` of all(), run() and batch() results;
 * first() and raw() carry none. The metered binding is a Proxy over the real
 * one: it forwards everything, meters all(), run() and batch(), and serves
 * first() and raw() from all() so that whichever of them a caller — our SQL
 * or Drizzle's D1 driver — uses, the rows are counted. Nothing depends on
 * which method Drizzle calls; src/middleware/metered-database/index.test.ts
 * checks the meter against D1's own figures for every query shape we use.
 *
 * raw() rebuilt from all()'s objects keeps the column order but not two
 * columns of the same name: a select must alias them in joins.
 */

export class D1Meter {
  rowsRead = 0;
  rowsWritten = 0;
  statements = 0;
  /** Statements per D1 binding (the control database and each data shard; docs/sharding.md). */
  readonly statementsByBinding: Record<string, number> = {};

  add(meta: D1Meta | undefined, binding = "DB"): void {
    this.statements += 1;
    this.statementsByBinding[binding] = (this.statementsByBinding[binding] ?? 0) + 1;
    if (!meta) return;
    this.rowsRead += meta.rows_read ?? 0;
    this.rowsWritten += meta.rows_written ?? 0;
  }
}

/** The real statement behind a metered one (batch() must hand D1 its own objects). */
const INNER = Symbol("inner statement");

function metered(inner: D1PreparedStatement, meter: D1Meter, binding: string): D1PreparedStatement {
  const all = async <T>(): Promise<D1Result<T>> => {
    const result = await inner.all<T>();
    meter.add(result.meta, binding);
    return result;
  };
  const overrides: Record<PropertyKey, unknown> = {
    [INNER]: inner,
    bind: (...values: unknown[]) => metered(inner.bind(...values), meter, binding),
    all,
    run: async <T>(): Promise<D1Result<T>> => {
      const result = await inner.run<T>();
      meter.add(result.meta, binding);
      return result;
    },
    first: async (column?: string) => {
      const row = (await all<Record<string, unknown>>()).results[0];
      if (row === undefined) return null;
      return column === undefined ? row : row[column];
    },
    raw: async (options?: { columnNames?: boolean }) => {
      const { results } = await all<Record<string, unknown>>();
      const rows = results.map((r) => Object.values(r));
      return options?.columnNames ? [results[0] ? Object.keys(results[0]) : [], ...rows] : rows;
    },
  };
  return new Proxy(inner, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function innerOf(statement: D1PreparedStatement): D1PreparedStatement {
  return ((statement as unknown as Record<PropertyKey, unknown>)[INNER] as D1PreparedStatement | undefined) ?? statement;
}

/** A D1Database whose every statement is counted in `meter`, under `binding`'s name. */
export function meteredD1(db: D1Database, meter: D1Meter, binding = "DB"): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => metered(target.prepare(query), meter, binding);
      if (prop === "batch") {
        return async <T>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> => {
          const results = await target.batch<T>(statements.map(innerOf));
          for (const r of results) meter.add(r.meta, binding);
          return results;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
