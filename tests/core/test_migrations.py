"""Migrations apply to an empty database, reverse to zero, and apply again.

Runs `guanxi migrate` in a subprocess against a scratch database of the same vendor
as the suite: a temporary SQLite file, or a temporary PostgreSQL database.
"""

import os
import subprocess
import sys
import uuid
from urllib.parse import urlparse, urlunparse

import pytest
from django.db import connection

APPS = ["scoring", "customers", "accounts"]


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def scratch_database_url(tmp_path):
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    name = f"gx_scratch_{uuid.uuid4().hex[:10]}"
    admin = dict(host=url.hostname, port=url.port or 5432, user=url.username, dbname="postgres")
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(url._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_apply_reverse_and_reapply(scratch_database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": scratch_database_url, "GUANXI_VAR_DIR": str(tmp_path)}
    _manage(env, "migrate", "--noinput")
    for app in APPS:
        _manage(env, "migrate", app, "zero", "--noinput")
    _manage(env, "migrate", "--noinput")
    plan = _manage(env, "showmigrations", "--plan")
    assert "[ ]" not in plan


def test_no_model_change_lacks_a_migration(tmp_path):
    env = {**os.environ, "GUANXI_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    out = _manage(env, "makemigrations", "--check", "--dry-run")
    assert "No changes detected" in out
