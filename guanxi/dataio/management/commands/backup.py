"""`guanxi backup FILE`: a consistent snapshot of the database plus FILE.manifest.json."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guanxi.dataio.backup import BackupError, backup_create, manifest_path


class Command(BaseCommand):
    help = "Back up the database to FILE (SQLite backup API / pg_dump -Fc) with a manifest."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write the backup")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        try:
            manifest = backup_create(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            f"{manifest['engine']} backup written to {path} ({manifest['bytes']:,} bytes, "
            f"{len(manifest['tables'])} tables, {rows:,} rows); manifest {manifest_path(path)}"
        )
