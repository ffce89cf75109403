import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { MirrorsyncError, describeError } from '../errors.js';
import { HISTORY_DAYS, type Check, type CheckRow, type OwnStatus, type Protocol } from './types.js';

const DAY_MS = 86_400_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS checks (
  id INTEGER PRIMARY KEY,
  checked_at INTEGER NOT NULL,
  suspect INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS checks_at ON checks (checked_at);
CREATE TABLE IF NOT EXISTS results (
  check_id INTEGER NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  protocol TEXT NOT NULL,
  url TEXT NOT NULL,
  master INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  freshness INTEGER,
  duration_ms INTEGER NOT NULL,
  error TEXT,
  own TEXT
);
CREATE INDEX IF NOT EXISTS results_check ON results (check_id);
`;

/** The history database of `network check`: one row per check, one per source and protocol in it. */
export interface HistoryStore {
  /** Appends a check and drops what is older than 90 days before `check.checkedAt`. */
  append(check: Check): void;
  /** Every check kept, oldest first. */
  checks(): Check[];
  close(): void;
}

/** Opens (creating) the SQLite file; failures are `sync.local` (exit 74): the checker's own disk. */
export async function openHistory(path: string): Promise<HistoryStore> {
  // Loaded here: a native module that only the network commands need.
  const { default: Database } = await import('better-sqlite3');
  let db: BetterSqlite3.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
  } catch (error) {
    throw new MirrorsyncError('sync.local', `cannot open the history database ${path}: ${describeError(error)}`, { cause: error });
  }
  const insertCheck = db.prepare('INSERT INTO checks (checked_at, suspect) VALUES (?, ?)');
  const insertRow = db.prepare(
    'INSERT INTO results (check_id, source, protocol, url, master, ok, freshness, duration_ms, error, own) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const prune = db.prepare('DELETE FROM checks WHERE checked_at < ?');
  const append = db.transaction((check: Check) => {
    const id = insertCheck.run(check.checkedAt.getTime(), check.suspect ? 1 : 0).lastInsertRowid;
    for (const row of check.rows) {
      insertRow.run(id, row.source, row.protocol, row.url, row.master ? 1 : 0, row.ok ? 1 : 0, row.freshness?.getTime() ?? null, row.durationMs, row.error, row.own === null ? null : JSON.stringify(row.own));
    }
    prune.run(check.checkedAt.getTime() - HISTORY_DAYS * DAY_MS);
  });
  const selectChecks = db.prepare('SELECT id, checked_at, suspect FROM checks ORDER BY checked_at, id');
  const selectRows = db.prepare('SELECT * FROM results ORDER BY check_id, rowid');
  return {
    append(check) {
      try {
        append(check);
      } catch (error) {
        throw new MirrorsyncError('sync.local', `cannot write the history database ${path}: ${describeError(error)}`, { cause: error });
      }
    },
    checks() {
      const byId = new Map<number, { checkedAt: Date; suspect: boolean; rows: CheckRow[] }>();
      for (const row of selectChecks.all() as { id: number; checked_at: number; suspect: number }[]) {
        byId.set(row.id, { checkedAt: new Date(row.checked_at), suspect: row.suspect === 1, rows: [] });
      }
      for (const row of selectRows.all() as StoredRow[]) byId.get(row.check_id)?.rows.push(toCheckRow(row));
      return [...byId.values()];
    },
    close() {
      db.close();
    },
  };
}

interface StoredRow {
  check_id: number;
  source: string;
  protocol: string;
  url: string;
  master: number;
  ok: number;
  freshness: number | null;
  duration_ms: number;
  error: string | null;
  own: string | null;
}

function toCheckRow(row: StoredRow): CheckRow {
  return {
    source: row.source,
    protocol: (row.protocol === 'http' ? 'http' : 'rsync') satisfies Protocol,
    url: row.url,
    master: row.master === 1,
    ok: row.ok === 1,
    freshness: row.freshness === null ? null : new Date(row.freshness),
    durationMs: row.duration_ms,
    error: row.error,
    own: row.own === null ? null : (JSON.parse(row.own) as OwnStatus),
  };
}
