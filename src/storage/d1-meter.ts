/**
 * D1 metering. Drizzle drops `meta` (its D1 session reads typed selects with
 * raw(), which carries none — platform-notes §1.4), so the binding itself is
 * wrapped: first() and raw() are routed through all(), and the rows_read /
 * rows_written of every all(), run() and batch() result are summed into a
 * per-request D1Meter. The totals become x-d1-rows-read / x-d1-rows-written
 * (contract.md, EXPOSE_DB_METRICS) and fields of the request log line.
 *
 * Because raw() is rebuilt from all()'s objects, a select must never return
 * two columns with the same name: alias them in joins.
 */

export class D1Meter {
  rowsRead = 0;
  rowsWritten = 0;
  statements = 0;

  add(meta: D1Meta | undefined): void {
    this.statements += 1;
    if (!meta) return;
    this.rowsRead += meta.rows_read ?? 0;
    this.rowsWritten += meta.rows_written ?? 0;
  }
}

class MeteredStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly meter: D1Meter,
  ) {}

  bind(...values: unknown[]): MeteredStatement {
    return new MeteredStatement(this.inner.bind(...values), this.meter);
  }

  async first<T = unknown>(column?: string): Promise<T | null> {
    const { results } = await this.all<Record<string, unknown>>();
    const row = results[0];
    if (row === undefined) return null;
    return (column === undefined ? row : row[column]) as T;
  }

  async all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    const result = await this.inner.all<T>();
    this.meter.add(result.meta);
    return result;
  }

  async run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    const result = await this.inner.run<T>();
    this.meter.add(result.meta);
    return result;
  }

  raw<T = unknown[]>(options: { columnNames: true }): Promise<[string[], ...T[]]>;
  raw<T = unknown[]>(options?: { columnNames?: false }): Promise<T[]>;
  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[] | [string[], ...T[]]> {
    const { results } = await this.all<Record<string, unknown>>();
    const rows = results.map((r) => Object.values(r) as T);
    if (options?.columnNames) {
      const first = results[0];
      return [first ? Object.keys(first) : [], ...rows];
    }
    return rows;
  }
}

/** A D1Database whose every statement is counted in `meter`. */
export function meteredD1(db: D1Database, meter: D1Meter): D1Database {
  const wrapped = {
    prepare(query: string) {
      return new MeteredStatement(db.prepare(query), meter);
    },
    async batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
      const inner = statements.map((s) => (s instanceof MeteredStatement ? s.inner : s));
      const results = await db.batch<T>(inner);
      for (const r of results) meter.add(r.meta);
      return results;
    },
    exec(query: string) {
      return db.exec(query);
    },
    dump() {
      return db.dump();
    },
    withSession(constraint?: string) {
      return db.withSession(constraint);
    },
  };
  return wrapped as unknown as D1Database;
}
