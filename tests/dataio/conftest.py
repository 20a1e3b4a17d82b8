import pytest


@pytest.fixture(autouse=True)
def _jobs_dir(settings, tmp_path):
    """Each test writes job files (progress, uploads, exports) into its own folder."""
    settings.JOBS_DIR = tmp_path / "jobs"
    settings.BACKUP_DIR = tmp_path / "backups"
