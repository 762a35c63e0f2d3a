"""The desk's storage: one workspace folder, the standard library's sqlite3, content-addressed files.

Workspace layout (default ./nianbao-desk/):
    desk.sqlite3          the database (WAL, synchronous=FULL)
    office.key            the office's signing key for templates (hex, as `nianbao template --key-file` reads it)
    files/ab/abcdef…      every upload as received, named by its SHA-256; never overwritten, never modified
    files/incoming/       temporary files of uploads being received (never counted; cleared on open)

API for the web layer (everything raises NianbaoError with a Chinese message on bad input):

    desk = Desk(workspace)                        # creates the folder and the schema on first use
    desk.has_password() -> bool
    desk.set_password(pw)                         # argon2id; also creates the office key on first set
    desk.verify_password(pw) -> bool
    desk.office_key() -> bytes                    # signing key for templates; also desk.key_path
    desk.secret_key() -> bytes                    # random, kept in the workspace: for SessionMiddleware
    desk.new_api_token() -> str                   # shown once; only its hash is stored
    desk.check_api_token(token) -> bool
    desk.open_collection(year, roster_path) -> CollectionInfo     # again with a new roster: replaces its units
    desk.collections() -> list[CollectionInfo]    # newest year first
    desk.collection(year) -> CollectionInfo | None
    desk.units(year) -> list[UnitInfo]            # roster order (code, name, type, contact, generation, revoked)
    desk.incoming_dir() -> Path                   # where a web layer may stream an upload before receive_path
    desk.receive(year, chunks, filename, unit=None) -> Submission
        chunks: an iterable of bytes; refused past LIMITS.max_file_bytes while streaming (never all in memory).
        unit: the unit code of the link it came through, or None for an office drop.
        Stored durably (blob fsync'd + renamed + dir fsync'd, then one committed transaction), examined with the
        same review_file as `check`/`collect`, added to the register. Returned only after commit.
    desk.receive_path(year, path, filename, unit=None) -> Submission
        the same for a file the web layer already streamed into desk.incoming_dir() (it is moved, not copied).
    desk.register(year) -> Register               # nianbao.register.Register, kept live; .to_json() is collect --json
    desk.submission(id) -> Submission | None
    desk.unit_submissions(year, code) -> list[Submission]   # oldest first (the register's order)
    desk.set_explanation(submission_id, rule, text)  # '' removes it; shown in the register's 说明 column
    desk.link_for(year, code) -> str              # the unit's link token (base64url); same until revoked
    desk.unit_for_token(token) -> (year, UnitInfo) | None   # constant-time per look-up (hash index)
    desk.revoke(year, code) -> str                # bumps the generation: the old link dies; returns the new token
    desk.blob_path(sha256) -> Path                # the stored upload (read only)
    desk.close()

Submission fields: id, year, unit (link's unit code or None), sha256, filename (display only, never a path),
size, received_at (UTC ISO, microseconds), result (the examined dict: unit, unit_code, year, findings, error, …),
explanations ({rule: text} typed in the browser), file (the register's name for it: "<id>/<safe filename>"),
status ("unusable" | "failed" | "passed_with_warnings" | "passed"), errors, warnings, note (why it does not count
for the link's unit, or "").
"""
from __future__ import annotations

from pathlib import Path

DEFAULT_WORKSPACE = Path("nianbao-desk")


class Desk:
    """The workspace: database, files, office secrets and the live registers (see the module docstring)."""

    def __init__(self, workspace=DEFAULT_WORKSPACE):
        raise NotImplementedError  # filled in next commit
