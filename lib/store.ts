import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';

/**
 * A folder's embedded key-value store: one LMDB environment (lmdb-js) holding named tables. A cache of a
 * corpus-sized run then costs two files, not one file per entry (millions of inodes, slow listings and
 * deletes on the shared file systems ranks write to). LMDB commits are atomic: a process killed mid-write
 * leaves the last committed state, so a torn entry is never read back. One process holds a folder's store
 * at a time (each rank has its own output folder); keep `--cache` on a local disk, as LMDB is not for
 * network file systems.
 *
 * @example
 * const verdicts = Store.open('out/cache').table('verdicts');
 * verdicts.put(key, JSON.stringify(result));
 */
export class Store {
  private static readonly open_ = new Map<string, Store>();
  private readonly tables = new Map<string, Table>();

  private constructor(
    readonly dir: string,
    private readonly root: RootDatabase,
  ) {}

  /** The store of `dir`, made if missing; one per folder per process (LMDB allows no second one). */
  static open(dir: string): Store {
    const at = resolve(dir);
    let s = Store.open_.get(at);
    if (!s) {
      mkdirSync(at, { recursive: true });
      s = new Store(at, open({ path: at, maxDbs: 16, compression: false }));
      Store.open_.set(at, s);
    }
    return s;
  }

  /** A named table of string keys and string values. */
  table(name: string): Table {
    let t = this.tables.get(name);
    if (!t)
      this.tables.set(name, (t = new Table(this.root.openDB<string, string>({ name, encoding: 'string' }))));
    return t;
  }

  /** Bytes the store takes on disk. */
  bytes(): number {
    const data = join(this.dir, 'data.mdb');
    return existsSync(data) ? statSync(data).size : 0;
  }
}

/** One table of a store. */
export class Table {
  constructor(private readonly db: Database<string, string>) {}

  get(key: string): string | undefined {
    return this.db.get(key);
  }

  /** Written and committed before it returns: what a later run (or a restart after kill -9) reads. */
  put(key: string, value: string): void {
    this.db.putSync(key, value);
  }

  /** Entries in the table. */
  count(): number {
    return this.db.getCount();
  }
}
