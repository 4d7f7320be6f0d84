import type { Database } from '@steward/store';

/**
 * Inserts many rows with multi-row `INSERT … VALUES (…), (…)` statements of a fixed chunk size
 * (plus a one-row statement for the rest), so a group commit crosses into SQLite once per chunk
 * instead of once per row.
 */
export class BulkInsert {
  readonly #chunk: number;
  readonly #many;
  readonly #one;

  constructor(db: Database, head: string, columns: number, chunk = 32) {
    const tuple = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
    this.#chunk = chunk;
    this.#many = db.prepare(`${head} VALUES ${Array.from({ length: chunk }, () => tuple).join(', ')}`);
    this.#one = db.prepare(`${head} VALUES ${tuple}`);
  }

  /** Inserts every row (each an array of the column values, in order). */
  run(rows: readonly unknown[][]): void {
    let i = 0;
    for (; i + this.#chunk <= rows.length; i += this.#chunk)
      this.#many.run(...rows.slice(i, i + this.#chunk).flat());
    for (; i < rows.length; i++) this.#one.run(...rows[i]!);
  }
}
