"""Consistent backups and verified restores (`guanxi backup FILE`, `guanxi restore FILE`).

* SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database in
  one step under a read transaction; in WAL mode writers keep committing meanwhile and
  the copy is the database as of the moment the step began.
* PostgreSQL: `pg_dump -Fc` (custom format) run with `--snapshot` of a REPEATABLE READ
  transaction we hold open, so the dump and the manifest's checksums see exactly the
  same data while users keep working.

Beside the backup, `FILE.manifest.json` records, per table, the row count and a
checksum: the MD5 of every row's canonical text, rows ordered by primary key (by the
whole row when a table has none). Canonical text: on PostgreSQL the row cast to text
(`t::text`) with fixed session settings (UTC, ISO dates, hex bytea, shortest exact
floats); on SQLite `repr()` of the row tuple as the sqlite3 module returns it. Backup and
restore compute it with the same code on the same engine, so equal checksums mean equal
rows. The manifest also holds the SHA-256 of the backup file, checked before restoring.

A restore goes only into an empty database (no tables): it never merges into or
overwrites live data. After restoring it recomputes every table's count and checksum
and fails loudly on any difference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone

MANIFEST_SUFFIX = ".manifest.json"
FORMAT = 1
PG_SESSION = (
    "SET TIME ZONE 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'iso_8601'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)
FETCH = 5000


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why, for the operator."""


def database_settings(alias: str = "default") -> dict[str, Any]:
    return dict(connections[alias].settings_dict)


def engine_of(db: dict[str, Any]) -> str:
    engine = db["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"unsupported database engine {engine}")


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# --- checksums -------------------------------------------------------------------


def _digest(rows: Iterable[str]) -> tuple[int, str]:
    digest = hashlib.md5(usedforsecurity=False)
    count = 0
    for text in rows:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_checksums(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """{table: {"rows": n, "checksum": md5}} for every ordinary table of the database."""
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        )
    ]
    result = {}
    for table in tables:
        info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
        pk = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5] > 0]
        order = ", ".join(_quote(c) for c in (pk or [row[1] for row in info]))
        cursor = conn.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}")  # noqa: S608

        def rows(cursor=cursor):
            while batch := cursor.fetchmany(FETCH):
                for row in batch:
                    yield repr(row)

        count, checksum = _digest(rows())
        result[table] = {"rows": count, "checksum": checksum}
    return result


def _pg_connect(db: dict[str, Any], **kwargs):
    import psycopg

    return psycopg.connect(
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        dbname=db["NAME"],
        **kwargs,
    )


def pg_checksums(conn) -> dict[str, dict[str, Any]]:
    """As sqlite_checksums, inside whatever transaction/snapshot `conn` is in."""
    for statement in PG_SESSION:
        conn.execute(statement)
    tables = conn.execute(
        "SELECT n.nspname, c.relname, c.oid FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY n.nspname, c.relname"
    ).fetchall()
    result = {}
    for schema, table, oid in tables:
        pk = [
            name
            for (name,) in conn.execute(
                "SELECT a.attname FROM pg_index i "
                "JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                "WHERE i.indrelid = %s AND i.indisprimary ORDER BY k.ord",
                [oid],
            )
        ]
        qualified = f"{_quote(schema)}.{_quote(table)}"
        order = ", ".join(f"t.{_quote(c)}" for c in pk) if pk else "t::text"
        # A named (server-side) cursor streams the table whatever its size.
        with conn.cursor(name=f"gx_checksum_{oid}") as cursor:
            cursor.itersize = FETCH
            cursor.execute(f"SELECT t::text FROM {qualified} t ORDER BY {order}")  # noqa: S608
            count, checksum = _digest(row[0] for row in cursor)
        key = table if schema == "public" else f"{schema}.{table}"
        result[key] = {"rows": count, "checksum": checksum}
    return result


def compare(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """Differences between two checksum maps, one line each; empty when equal."""
    problems = []
    for table in sorted(set(expected) | set(actual)):
        want, have = expected.get(table), actual.get(table)
        if want is None:
            problems.append(f"{table}: table not in the backup")
        elif have is None:
            problems.append(f"{table}: table missing after restore")
        elif want["rows"] != have["rows"]:
            problems.append(f"{table}: {have['rows']} rows, the backup has {want['rows']}")
        elif want["checksum"] != have["checksum"]:
            problems.append(f"{table}: checksum differs (same row count {want['rows']})")
    return problems


def database_checksums(db: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Checksums of a live database (the default one unless given)."""
    db = db or database_settings()
    if engine_of(db) == "sqlite":
        conn = sqlite3.connect(db["NAME"])
        try:
            return sqlite_checksums(conn)
        finally:
            conn.close()
    # Not autocommit: the server-side cursors live inside one read-only transaction.
    with _pg_connect(db) as conn:
        conn.read_only = True
        try:
            return pg_checksums(conn)
        finally:
            conn.rollback()


# --- backup --------------------------------------------------------------------


def backup_create(path: Path | str, *, db: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write a consistent backup of the database to `path` and its manifest beside it."""
    path = Path(path)
    db = db or database_settings()
    engine = engine_of(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        tables = _sqlite_backup(db, partial) if engine == "sqlite" else _pg_backup(db, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    manifest = {
        "format": FORMAT,
        "engine": engine,
        "created_at": timezone.now().isoformat(),
        "file": path.name,
        "sha256": file_sha256(path),
        "bytes": path.stat().st_size,
        "checksum": "md5 of rows ordered by primary key; see guanxi/dataio/backup.py",
        "tables": tables,
    }
    manifest_path(path).write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
    return manifest


def _sqlite_backup(db: dict[str, Any], target: Path) -> dict[str, dict]:
    source = sqlite3.connect(db["NAME"])
    dest = sqlite3.connect(target)
    try:
        # pages=-1: one step, one read transaction — a single consistent moment,
        # while WAL lets other connections keep writing.
        source.backup(dest, pages=-1)
        # A self-contained file: no -wal companion needed to read it.
        dest.execute("PRAGMA journal_mode=DELETE")
        return sqlite_checksums(dest)
    finally:
        dest.close()
        source.close()


def pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client (scripts/system-deps.sh)"
        )
    return tool


def _major(version_output: str) -> int:
    """15 from "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"."""
    match = re.search(r"\)\s*(\d+)", version_output) or re.search(r"(\d+)", version_output)
    return int(match.group(1)) if match else 0


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args(db: dict[str, Any]) -> list[str]:
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return args


def _check_tool_version(tool: str, conn) -> None:
    """pg_dump/pg_restore must be at least the server's major version."""
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    client = _major(out.stdout)
    server = conn.info.server_version // 10000
    if client < server:
        raise BackupError(
            f"{Path(tool).name} {client} cannot handle PostgreSQL {server}: "
            f"install postgresql-client-{server}"
        )


def _pg_backup(db: dict[str, Any], target: Path) -> dict[str, dict]:
    from psycopg import IsolationLevel

    tool = pg_tool("pg_dump")
    with _pg_connect(db) as conn:
        _check_tool_version(tool, conn)
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        (snapshot,) = conn.execute("SELECT pg_export_snapshot()").fetchone()
        done = subprocess.run(  # noqa: S603 (fixed program, arguments from settings)
            [tool, "-Fc", "--snapshot", snapshot, "-f", str(target), *_pg_args(db), db["NAME"]],
            env=_pg_env(db),
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        tables = pg_checksums(conn)
        conn.rollback()
    return tables


# --- restore -------------------------------------------------------------------


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads(manifest_path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise BackupError(f"no manifest beside the backup: {manifest_path(path)}") from None
    except ValueError as exc:
        raise BackupError(f"unreadable manifest {manifest_path(path)}: {exc}") from None


def database_is_empty(db: dict[str, Any]) -> bool:
    if engine_of(db) == "sqlite":
        name = Path(db["NAME"])
        if not name.exists() or name.stat().st_size == 0:
            return True
        conn = sqlite3.connect(name)
        try:
            (n,) = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()
        finally:
            conn.close()
        return n == 0
    with _pg_connect(db, autocommit=True) as conn:
        (n,) = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%'"
        ).fetchone()
    return n == 0


def restore(path: Path | str, *, db: dict[str, Any] | None = None) -> dict[str, Any]:
    """Restore `path` into an empty database, then verify it against the manifest.

    Raises BackupError (nothing written) when the file, manifest or target is wrong, and
    BackupError listing every difference when the restored data does not match.
    """
    path = Path(path)
    db = db or database_settings()
    engine = engine_of(db)
    if not path.is_file():
        raise BackupError(f"backup file not found: {path}")
    manifest = _read_manifest(path)
    if manifest.get("engine") != engine:
        raise BackupError(
            f"the backup is of a {manifest.get('engine')} database, the target is {engine}"
        )
    if file_sha256(path) != manifest.get("sha256"):
        raise BackupError("the backup file does not match its manifest (damaged or replaced)")
    if not database_is_empty(db):
        raise BackupError(
            f"the target database {db['NAME']} is not empty: restore only into an empty one"
        )
    if engine == "sqlite":
        _sqlite_restore(path, db)
    else:
        _pg_restore(path, db)
    actual = database_checksums(db)
    problems = compare(manifest["tables"], actual)
    if problems:
        raise BackupError(
            "the restored database does not match the backup:\n  " + "\n  ".join(problems)
        )
    return {
        "tables": len(actual),
        "rows": sum(t["rows"] for t in actual.values()),
        "created_at": manifest.get("created_at"),
    }


def _sqlite_restore(path: Path, db: dict[str, Any]) -> None:
    target = Path(db["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest, pages=-1)
    finally:
        dest.close()
        source.close()


def _pg_restore(path: Path, db: dict[str, Any]) -> None:
    tool = pg_tool("pg_restore")
    with _pg_connect(db, autocommit=True) as conn:
        _check_tool_version(tool, conn)
    done = subprocess.run(  # noqa: S603 (fixed program, arguments from settings)
        [
            tool,
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            *_pg_args(db),
            "-d",
            db["NAME"],
            str(path),
        ],
        env=_pg_env(db),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


# --- scheduled backups ---------------------------------------------------------

BACKUP_NAME = re.compile(r"^guanxi-(\d{8}-\d{6})\.(sqlite3|dump)$")


def backup_scheduled(now: dt.datetime | None = None) -> tuple[Path, list[Path]]:
    """Today's backup into BACKUP_DIR, then retention (BACKUP_KEEP_DAYS)."""
    now = now or timezone.now()
    directory = Path(settings.BACKUP_DIR)
    ext = "sqlite3" if engine_of(database_settings()) == "sqlite" else "dump"
    path = directory / f"guanxi-{timezone.localtime(now):%Y%m%d-%H%M%S}.{ext}"
    backup_create(path)
    return path, backups_prune(directory, keep_days=settings.BACKUP_KEEP_DAYS, now=now)


def backups_prune(directory: Path, *, keep_days: int, now: dt.datetime) -> list[Path]:
    """Delete scheduled backups (and manifests) older than `keep_days`; keep the newest.

    Age comes from the timestamp in the name, so copying files around changes nothing.
    """
    found = []
    for entry in directory.glob("guanxi-*"):
        match = BACKUP_NAME.match(entry.name)
        if match:
            taken = dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")
            found.append((timezone.make_aware(taken), entry))
    found.sort()
    cutoff = now - dt.timedelta(days=keep_days)
    removed = []
    for taken, entry in found[:-1]:  # never the newest, whatever its age
        if taken < cutoff:
            entry.unlink(missing_ok=True)
            manifest_path(entry).unlink(missing_ok=True)
            removed.append(entry)
    return removed
