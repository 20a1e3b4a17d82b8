#!/usr/bin/env bash
# Start Guanxi on SQLite with demo data: gunicorn on :8000 and the Huey worker.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export GUANXI_LOCAL_HTTP=1
export DEBUG="${DEBUG:-false}"
mkdir -p var
$BIN/guanxi migrate --noinput -v0
$BIN/guanxi collectstatic --noinput -v0
pwfile=var/demo-password.txt
if [ ! -s "$pwfile" ]; then
  umask 077
  $BIN/python -c "import secrets; print(secrets.token_urlsafe(9))" > "$pwfile"
fi
password=$(cat "$pwfile")
if ! $BIN/guanxi demo --if-empty --password "$password" --customers "${DEMO_CUSTOMERS:-2000}" --orders "${DEMO_ORDERS:-20000}"; then
  echo "demo data failed" >&2; exit 1
fi
cat <<MSG

  Guanxi is running at http://127.0.0.1:8000
  Demo logins (password: $password):
    director · admin · manager_a · manager_b · rep_a1 … rep_a3 · rep_b1 … rep_b3
  Ctrl-C stops the web server and the job worker.

MSG
pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; echo "stopped"; }
trap cleanup INT TERM EXIT
$BIN/guanxi run_huey --quiet &
pids+=($!)
$BIN/gunicorn guanxi.wsgi --bind 127.0.0.1:8000 --workers "${WEB_WORKERS:-2}" --threads 4 \
  --access-logfile - --log-level warning &
pids+=($!)
wait -n "${pids[@]}"
