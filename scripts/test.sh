#!/usr/bin/env bash
# The whole suite on SQLite, then on PostgreSQL. Under CI=true a missing
# PostgreSQL, Redis or Chromium fails the run instead of skipping.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/guanxi}"
export GUANXI_VAR_DIR="${GUANXI_VAR_DIR:-$PWD/var/test}"
export REDIS_TEST_URL="${REDIS_TEST_URL:-redis://127.0.0.1:6379/15}"
mkdir -p "$GUANXI_VAR_DIR"
unset DATABASE_URL REDIS_URL
status=0

echo "== lint =="
$BIN/ruff check . && $BIN/ruff format --check . || status=1

echo "== migrations are complete =="
$BIN/python manage.py makemigrations --check --dry-run >/dev/null || {
  echo "models changed without a migration"; status=1; }

pg_up() {
  $BIN/python - "$PG_URL" <<'PY'
import sys, psycopg
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
try:
    psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username, dbname="postgres", connect_timeout=3).close()
except Exception as exc:
    print(exc, file=sys.stderr); sys.exit(1)
PY
}

echo "== tests on SQLite =="
$BIN/pytest -n 2 -q "$@" || status=1

if pg_up; then
  echo "== tests on PostgreSQL =="
  DATABASE_URL="$PG_URL" $BIN/pytest -n 2 -q "$@" || status=1
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at $PG_URL and CI=true: failing"; status=1
else
  echo "PostgreSQL not reachable at $PG_URL: skipped the PostgreSQL run (not CI)"
fi
exit $status
