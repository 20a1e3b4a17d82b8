#!/usr/bin/env bash
# Debian packages the project needs: chromium + CJK fonts for browser tests and
# PDF reports, gettext for translations. Installs only what is missing.
set -euo pipefail
want=()
need() { command -v "$1" >/dev/null 2>&1 || want+=("$2"); }
if [ "${1:-}" = "gettext" ]; then
  need msgfmt gettext
else
  need msgfmt gettext
  need chromium chromium
  fc-list 2>/dev/null | grep -qi "noto sans cjk" || want+=(fonts-noto-cjk)
  # `guanxi backup`/`restore` on PostgreSQL (and the suite's round trip) run pg_dump/pg_restore
  need pg_dump postgresql-client
fi
[ ${#want[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${want[*]}"
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
if ! command -v apt-get >/dev/null; then
  echo "apt-get not found: install ${want[*]} with your system's package manager" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
