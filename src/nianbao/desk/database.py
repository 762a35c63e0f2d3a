"""The desk's database: its schema and how it is opened (the standard library's sqlite3, WAL, synchronous=FULL),
and one write transaction (`with Transaction(db):` takes the write lock at once: BEGIN IMMEDIATE)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS office (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  password_hash TEXT NOT NULL,          -- argon2id
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (    -- random, made once: link tokens, sessions
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
  hash TEXT PRIMARY KEY,                -- SHA-256 of the token; the token itself is shown once
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS collections (
  year INTEGER PRIMARY KEY,
  layout TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,   -- bumped when its roster changes: a register is rebuilt
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS units (
  year INTEGER NOT NULL REFERENCES collections(year),
  position INTEGER NOT NULL,            -- roster order
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL DEFAULT '',
  contact TEXT NOT NULL DEFAULT '',
  generation INTEGER NOT NULL DEFAULT 1,
  revoked INTEGER NOT NULL DEFAULT 0,
  link_hash TEXT UNIQUE,                -- SHA-256 of the unit's link token; NULL while revoked
  PRIMARY KEY (year, code)
);
CREATE TABLE IF NOT EXISTS submissions (
  id INTEGER PRIMARY KEY,
  year INTEGER NOT NULL REFERENCES collections(year),
  unit TEXT,                            -- the code of the link it came through; NULL for the office's drop
  sha256 TEXT NOT NULL,                 -- files/<2>/<64>
  filename TEXT NOT NULL,               -- as the browser named it: for display only, never a path
  size INTEGER NOT NULL,
  received_at TEXT NOT NULL,            -- UTC ISO, microseconds
  result TEXT NOT NULL                  -- the examined result (returns.examine) as JSON
);
CREATE TABLE IF NOT EXISTS last_year (  -- the last-year data a collection's templates and checks use
  year INTEGER PRIMARY KEY REFERENCES collections(year),
  source TEXT NOT NULL,                 -- 'files' (uploaded) | 'collection' (the desk's previous year)
  files TEXT NOT NULL DEFAULT '[]',     -- JSON [[sha256, name as sent], ...]: blobs in files/, like uploads
  notes TEXT NOT NULL DEFAULT '[]',     -- JSON: the files that could not be read, and why
  set_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_by_unit ON submissions (year, unit);
CREATE TABLE IF NOT EXISTS explanations (
  submission INTEGER NOT NULL REFERENCES submissions(id),
  rule TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (submission, rule)
);
"""


def connect(path: Path) -> sqlite3.Connection:
    """The database at `path` (created with its schema on first use), in autocommit mode: writes go through
    `Transaction`. One connection, shared between threads behind the desk's lock."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=10000")
    db.executescript(SCHEMA)
    return db


class Transaction:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, *_):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
