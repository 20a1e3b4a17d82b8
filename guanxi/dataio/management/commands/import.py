"""`guanxi import FILE --kind customers --user NAME`: the import pipeline on the command line.

Same pipeline, same rules as the web pages (the importing user's visibility and
owner rights apply), with a progress bar on the terminal. Exit status 1 when rows
had errors and nothing (or only the valid rows) was written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.accounts.models import User
from guanxi.dataio.importing import ImportOptions, import_file, users_index
from guanxi.dataio.mapping import (
    KEYS,
    KINDS,
    apply_saved,
    auto_map,
    default_key,
    parse_owner_rules,
)
from guanxi.dataio.models import ImportProfile
from guanxi.dataio.progress import Reporter
from guanxi.dataio.readers import ReadError, open_table

BAR = 30


class TerminalReporter(Reporter):
    """Draws `[#####.....] 45% 120,000/266,000 rows 52,000 rows/s ETA 3 s` on stderr."""

    def __init__(self, stream, total: int = 0) -> None:
        super().__init__(None, total=total)
        self.stream = stream  # the command's OutputWrapper
        self._drawn = 0.0

    def report(self, done: int, *, phase: str | None = None, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._drawn < 0.2:
            return
        self._drawn = now
        rate = done / max(now - self.started, 1e-6)
        if self.total:
            share = min(1.0, done / self.total)
            bar = "#" * int(share * BAR) + "." * (BAR - int(share * BAR))
            eta = f" ETA {max(0, int((self.total - done) / rate)) if rate else '?'} s"
            line = f"[{bar}] {share:4.0%} {done:,}/{self.total:,} rows {rate:,.0f} rows/s{eta}"
        else:
            line = f"{done:,} rows {rate:,.0f} rows/s"
        self.stream.write("\r" + line.ljust(90), ending="")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import customers, contacts, orders or interactions from an .xlsx/.xls/.csv file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--kind", choices=list(KINDS), default="customers")
        parser.add_argument("--user", required=True, help="importing user (their rights apply)")
        parser.add_argument("--key", help="match existing records by: " + "; ".join(
            f"{k}: {'/'.join(x for x, _l in v)}" for k, v in KEYS.items()))  # fmt: skip
        parser.add_argument("--mapping", help="name of a saved mapping (import profile)")
        parser.add_argument(
            "--map", action="append", default=[], metavar="HEADER=FIELD",
            help="override one column (FIELD empty = ignore, __notes__ = notes)",
        )  # fmt: skip
        parser.add_argument(
            "--owner-rule", action="append", default=[], metavar="COLUMN=VALUE:USER",
            help="owner for rows without one, by a column's value (first match wins)",
        )  # fmt: skip
        parser.add_argument("--encoding", help="CSV encoding (default: detected)")
        parser.add_argument("--owner", help="owner when the file names none (default: --user)")
        parser.add_argument("--valid-only", action="store_true", help="import the valid rows")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--report", help="write errors and warnings to this .xlsx")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **o) -> None:
        path = Path(o["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = self._user(o["user"])
        owner = self._user(o["owner"]) if o["owner"] else user
        kind = o["kind"]
        try:
            with open_table(path, encoding=o["encoding"]) as table:
                header = table.header
        except ReadError as exc:
            raise CommandError(str(exc)) from exc
        key = o["key"]
        if o["mapping"]:
            profile = ImportProfile.objects.filter(user=user, kind=kind, name=o["mapping"]).first()
            if profile is None:
                raise CommandError(f"No saved mapping “{o['mapping']}” for {kind} of {user}.")
            columns = apply_saved(header, kind, profile.mapping)
            key = key or profile.options.get("key")
        else:
            columns = auto_map(header, kind)
        for item in o["map"]:
            name, _sep, target = item.partition("=")
            for col in columns:
                if col.header == name:
                    col.target = target
        key = key or default_key(kind, columns)
        if key not in dict(KEYS[kind]):
            raise CommandError(f"--key must be one of {', '.join(dict(KEYS[kind]))}")
        mapped = ", ".join(f"{c.header}→{c.target}" for c in columns if c.target) or "nothing"
        self.stderr.write(f"{kind}, key {key}; columns: {mapped}")
        try:
            rules = parse_owner_rules("\n".join(o["owner_rule"]), header, users_index()[0])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        options = ImportOptions(
            owner_rules=rules,
            kind=kind, columns=columns, key=key, dry_run=o["dry_run"], valid_only=o["valid_only"],
            encoding=o["encoding"], default_owner_id=owner.pk, reason=f"import {path.name}",
        )  # fmt: skip
        reporter = Reporter(None) if o["no_progress"] else TerminalReporter(self.stderr)
        result = import_file(path, user=user, options=options, reporter=reporter)
        if not o["no_progress"]:
            self.stderr.write("")
        for row, column, message in result.errors[:20]:
            self.stderr.write(f"row {row} {column}: {message}")
        if result.error_count > 20:
            self.stderr.write(f"… and {result.error_count - 20} more errors")
        if o["report"] and (result.errors or result.warnings):
            self._report(Path(o["report"]), result)
        c = result.counts
        verb = "checked" if o["dry_run"] else ("imported" if result.written else "NOT imported")
        self.stdout.write(
            f"{verb}: {result.rows} rows in {result.seconds:.1f} s — new {c['new']}, updated "
            f"{c['updated']}, unchanged {c['unchanged']}, errors {c['error']}, "
            f"warnings {result.warning_count}"
        )
        if c["error"]:
            sys.exit(1)

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"No active user {username!r}.") from exc

    def _report(self, target: Path, result) -> None:
        import shutil

        from guanxi.dataio.import_jobs import write_error_report
        from guanxi.dataio.progress import jobs_dir

        relative = write_error_report(0, result)
        shutil.move(jobs_dir() / relative, target)
        self.stderr.write(f"report: {target}")
