import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { open, type RootDatabase } from 'lmdb';

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

  /** The tables opened so far, by name. */
  tableEntries(): [string, Table][] {
    return [...this.tables];
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

  /** The stores this process has open. */
  static opened(): Store[] {
    return [...Store.open_.values()];
  }

  /** Size, files and, per table, entries and the lookups counted in `since` onwards (a run's share). */
  summary(since: StoreMark = new Map()): StoreSummary {
    const tables: StoreSummary['tables'] = {};
    for (const [name, t] of this.tables) {
      const before = since.get(markKey(this.dir, name)) ?? { lookups: 0, hits: 0 };
      tables[name] = { entries: t.count(), lookups: t.lookups - before.lookups, hits: t.hits - before.hits };
    }
    return { dir: this.dir, bytes: this.bytes(), files: readdirSync(this.dir).length, tables };
  }
}

/** What a store holds and how well it served: the report's cache line. */
export interface StoreSummary {
  dir: string;
  /** Bytes on disk and files in the folder (LMDB keeps two: data.mdb and lock.mdb). */
  bytes: number;
  files: number;
  /** Per table: entries held, lookups made and how many found an entry. */
  tables: Record<string, { entries: number; lookups: number; hits: number }>;
}

/** A table's key in a `StoreMark`. */
const markKey = (dir: string, table: string) => `${dir}\0${table}`;

/** The lookup counters of every open store's tables at one moment, by `markKey`. */
export type StoreMark = Map<string, { lookups: number; hits: number }>;

/** Marks the counters now, so that `storesUsedSince` can tell a run's lookups from earlier runs' in this process. */
export function markStores(): StoreMark {
  const mark: StoreMark = new Map();
  for (const s of Store.opened())
    for (const [name, t] of s.tableEntries())
      mark.set(markKey(s.dir, name), { lookups: t.lookups, hits: t.hits });
  return mark;
}

/** The stores looked up since `mark`, with the lookups made since. */
export function storesUsedSince(mark: StoreMark): StoreSummary[] {
  // only these are looked at on disk: an earlier run's store in this process may have lost its folder since
  return Store.opened()
    .filter((s) =>
      s.tableEntries().some(([name, t]) => t.lookups > (mark.get(markKey(s.dir, name))?.lookups ?? 0)),
    )
    .map((s) => s.summary(mark));
}

/**
 * What a table uses of an lmdb database. The published declarations name this rather than lmdb's types,
 * which do not compile under `module: nodenext` (TS1203), so a user's project can check its libraries.
 */
export interface TableDb {
  get(key: string): string | undefined;
  putSync(key: string, value: string): unknown;
  getCount(): number;
}

/** One table of a store. */
export class Table {
  /** Lookups made and how many found an entry, since the table was opened in this process. */
  lookups = 0;
  hits = 0;

  constructor(private readonly db: TableDb) {}

  get(key: string): string | undefined {
    const v = this.db.get(key);
    this.lookups++;
    if (v !== undefined) this.hits++;
    return v;
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

/** The lines on a cache: where and its size, then per table its entries and this run's hit rate. */
export function describeStore(s: StoreSummary): string[] {
  const n = (x: number) => x.toLocaleString('en-US');
  const tables = Object.entries(s.tables).map(
    ([name, t]) =>
      `${name} ${n(t.entries)} entries, ${n(t.hits)} of ${n(t.lookups)} lookups hit` +
      (t.lookups ? ` (${((100 * t.hits) / t.lookups).toFixed(1)} %)` : ''),
  );
  // a line a table: one line for all overran a 160-column terminal, which wrapped it mid-number
  return [
    `cache ${s.dir}: ${(s.bytes / 1e6).toFixed(1)} MB in ${s.files} file${s.files === 1 ? '' : 's'}`,
    ...tables,
  ];
}
