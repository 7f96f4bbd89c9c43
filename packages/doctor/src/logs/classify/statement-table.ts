import type { StatementKey } from './normalize-statement.js';

/** A row of the table: its key's text, and the chain of rows whose keys share its hash. */
export interface KeyedRow {
  query: string;
  hash: number;
  next: KeyedRow | undefined;
}

/**
 * Rows by normalised statement, found from a StatementKey's characters and hash: a statement seen before is
 * counted without making its key a string (a Map<string> would flatten and hash a new string per call).
 */
export class StatementTable<Row extends KeyedRow> {
  readonly #heads = new Map<number, Row>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  find(key: StatementKey, hash: number): Row | undefined {
    for (let row = this.#heads.get(hash); row; row = row.next as Row | undefined) if (key.equals(row.query)) return row;
    return undefined;
  }

  /** A new row (its key not in the table): `row.hash` and `row.query` already set. */
  insert(row: Row): void {
    row.next = this.#heads.get(row.hash);
    this.#heads.set(row.hash, row);
    this.#size++;
  }

  delete(row: Row): void {
    const head = this.#heads.get(row.hash);
    if (head === row) {
      if (row.next) this.#heads.set(row.hash, row.next as Row);
      else this.#heads.delete(row.hash);
    } else {
      let before: KeyedRow | undefined = head;
      while (before && before.next !== row) before = before.next;
      if (!before) return;
      before.next = row.next;
    }
    row.next = undefined;
    this.#size--;
  }

  *rows(): IterableIterator<Row> {
    for (const head of this.#heads.values()) for (let row: Row | undefined = head; row; row = row.next as Row | undefined) yield row;
  }
}
