"""`guanxi restore FILE`: restore a backup into the (empty) database and verify it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from guanxi.dataio.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore FILE into the configured database, which must be empty, then check every "
        "table's row count and checksum against FILE.manifest.json (exit 1 on a mismatch)."
    )
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("file", help="a backup written by `guanxi backup`")

    def handle(self, *args, file: str, **options):
        connections.close_all()  # nothing of ours may hold the target open
        try:
            result = restore(Path(file))
        except BackupError as exc:
            raise CommandError(f"restore failed: {exc}") from exc
        self.stdout.write(
            f"restored {result['tables']} tables, {result['rows']:,} rows from {file} "
            f"(backup of {result['created_at']}); counts and checksums match the manifest"
        )
