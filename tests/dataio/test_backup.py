"""Backup and restore: the round trip loses nothing (SQLite and PostgreSQL), refusals, retention.

These tests commit their data (transactional_db): the backup reads the database through
its own connection, as it does in production, and would not see an open test transaction.
"""

import datetime as dt
import json
import sqlite3
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from guanxi.customers.models import Customer
from guanxi.dataio.backup import (
    BackupError,
    backup_create,
    backups_prune,
    database_checksums,
    database_settings,
    engine_of,
    file_sha256,
    manifest_path,
    restore,
)

pytestmark = pytest.mark.django_db(transaction=True)

ENGINE = connection.vendor
sqlite_only = pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite backup API")
postgres_only = pytest.mark.skipif(ENGINE != "postgresql", reason="pg_dump / pg_restore")


def _sqlite_rows(path) -> dict[str, list]:
    """Every row of every table, straight from the file (not via the checksums)."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            n
            for (n,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    finally:
        conn.close()


@sqlite_only
def test_sqlite_round_trip_loses_nothing(world, tmp_path):
    backup = tmp_path / "b.sqlite3"
    manifest = backup_create(backup)
    assert manifest["engine"] == "sqlite"
    assert manifest["tables"]["customers_customer"]["rows"] == Customer.objects.count() == 2
    assert json.loads(manifest_path(backup).read_text())["sha256"] == file_sha256(backup)
    target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "restored.sqlite3")}
    result = restore(backup, db=target)
    assert result["tables"] == len(manifest["tables"])
    source = _sqlite_rows(database_settings()["NAME"])
    restored = _sqlite_rows(target["NAME"])
    assert restored == source
    assert sum(len(rows) for rows in restored.values()) == result["rows"] > 0
    assert any("杭州青山机械制造有限公司" in r for r in restored["customers_customer"])


@sqlite_only
def test_sqlite_backup_is_a_consistent_snapshot_while_someone_writes(world, tmp_path):
    """An uncommitted write in progress does not block the backup nor leak into it."""
    writer = sqlite3.connect(database_settings()["NAME"], timeout=5)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE customers_customer SET name = 'half-written'")
        manifest = backup_create(tmp_path / "b.sqlite3")
    finally:
        writer.rollback()
        writer.close()
    rows = _sqlite_rows(tmp_path / "b.sqlite3")["customers_customer"]
    assert not any("half-written" in r for r in rows)
    assert manifest["tables"] == database_checksums()


@sqlite_only
def test_restore_refuses_a_non_empty_database_and_changes_nothing(world, tmp_path):
    backup = tmp_path / "b.sqlite3"
    backup_create(backup)
    before = database_checksums()
    with pytest.raises(BackupError, match="not empty"):
        restore(backup)
    assert database_checksums() == before
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(backup))


@sqlite_only
def test_restore_detects_a_damaged_file_and_a_wrong_row(world, tmp_path):
    backup = tmp_path / "b.sqlite3"
    backup_create(backup)
    # A file changed after the backup: refused before anything is written.
    conn = sqlite3.connect(backup)
    conn.execute(
        "UPDATE customers_customer SET name = 'tampered' WHERE id = ?", [world.customer.pk]
    )
    conn.commit()
    conn.close()
    target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "r1.sqlite3")}
    with pytest.raises(BackupError, match="does not match its manifest"):
        restore(backup, db=target)
    assert not Path(target["NAME"]).exists()
    # The same change with the file hash "fixed": the checksums catch it after restoring.
    manifest = json.loads(manifest_path(backup).read_text())
    manifest["sha256"] = file_sha256(backup)
    manifest_path(backup).write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="customers_customer: checksum differs"):
        restore(backup, db=target)


def test_restore_without_manifest_is_refused(tmp_path):
    backup = tmp_path / "b.bin"
    backup.write_bytes(b"not a backup")
    with pytest.raises(BackupError, match="no manifest"):
        restore(backup, db={"ENGINE": "x.sqlite3", "NAME": str(tmp_path / "t.sqlite3")})


def test_backup_command_writes_file_and_manifest(world, tmp_path, capsys):
    backup = tmp_path / ("b.sqlite3" if ENGINE == "sqlite" else "b.dump")
    call_command("backup", str(backup))
    assert backup.is_file() and manifest_path(backup).is_file()
    assert "backup written" in capsys.readouterr().out


def test_daily_task_backs_up_and_keeps_the_retention(world, settings):
    from guanxi.dataio.tasks_data import daily_backup

    directory = Path(settings.BACKUP_DIR)
    directory.mkdir(parents=True)
    old = directory / "guanxi-20200101-014500.dump"
    old.write_bytes(b"old")
    manifest_path(old).write_text("{}")
    daily_backup.call_local()
    files = sorted(p.name for p in directory.iterdir())
    assert old.name not in files and manifest_path(old).name not in files
    assert len([f for f in files if f.endswith(".manifest.json")]) == 1
    assert len(files) == 2


def test_prune_keeps_recent_backups_and_always_the_newest(tmp_path):
    now = timezone.make_aware(dt.datetime(2025, 6, 30, 2, 0))
    names = ["guanxi-20250601-014500.sqlite3", "guanxi-20250620-014500.sqlite3"]
    for name in [*names, "notes.txt"]:
        (tmp_path / name).write_text("x")
    removed = backups_prune(tmp_path, keep_days=14, now=now)
    assert [p.name for p in removed] == ["guanxi-20250601-014500.sqlite3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [names[1], "notes.txt"]
    # Even a single very old backup stays: never end up with none.
    assert backups_prune(tmp_path, keep_days=1, now=now + dt.timedelta(days=400)) == []


def _pg_rows(db) -> dict[str, list[str]]:
    import psycopg

    with psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    ) as conn:
        tables = [
            t
            for (t,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {
            t: sorted(r for (r,) in conn.execute(f'SELECT t::text FROM "{t}" t')) for t in tables
        }


@postgres_only
def test_postgres_round_trip_loses_nothing(world, tmp_path):
    import psycopg

    source = database_settings()
    backup = tmp_path / "b.dump"
    manifest = backup_create(backup)
    assert manifest["engine"] == "postgresql"
    assert manifest["tables"]["customers_customer"]["rows"] == 2
    scratch = {**source, "NAME": f"{source['NAME']}_restore_{uuid.uuid4().hex[:8]}"}
    admin = {**source, "NAME": "postgres"}

    def admin_sql(sql: str) -> None:
        with psycopg.connect(
            host=admin["HOST"] or None,
            port=admin["PORT"] or None,
            user=admin["USER"] or None,
            password=admin["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)

    admin_sql(f'CREATE DATABASE "{scratch["NAME"]}"')
    try:
        result = restore(backup, db=scratch)
        assert result["tables"] == len(manifest["tables"])
        # Every table, compared row by row, independently of the manifest.
        assert _pg_rows(scratch) == _pg_rows(source)
        assert database_checksums(scratch) == database_checksums(source)
        with pytest.raises(BackupError, match="not empty"):
            restore(backup, db=scratch)
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{scratch["NAME"]}" WITH (FORCE)')


def test_engine_names():
    assert engine_of({"ENGINE": "django.db.backends.sqlite3"}) == "sqlite"
    assert engine_of({"ENGINE": "django.db.backends.postgresql"}) == "postgresql"
    with pytest.raises(BackupError):
        engine_of({"ENGINE": "django.db.backends.mysql"})


@postgres_only
def test_postgres_backup_runs_beside_an_open_write_and_leaves_it_out(world, tmp_path):
    import psycopg

    db = database_settings()
    with psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    ) as writer:
        writer.execute("UPDATE customers_customer SET name = 'half-written'")
        manifest = backup_create(tmp_path / "b.dump")  # not blocked by the open transaction
        writer.rollback()
    assert manifest["tables"] == database_checksums()
