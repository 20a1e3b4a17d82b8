"""Live progress and cancellation of a running job, shared across processes.

The job writes `<JOBS_DIR>/<id>.progress.json` (atomically replaced) and polls for
`<id>.cancel`; the web process reads them. Files rather than rows: the job holds
one write transaction for its whole run (all-or-nothing), so a progress row it
updated would stay invisible, and on SQLite a second writer would block.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings


def jobs_dir() -> Path:
    path = Path(settings.JOBS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Progress:
    done: int = 0
    total: int = 0  # 0 = unknown
    phase: str = ""
    started: float = 0.0  # time.time() when the job started
    updated: float = 0.0

    @property
    def percent(self) -> int:
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def rate(self) -> float:
        """Rows per second since the start."""
        elapsed = self.updated - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> int | None:
        if not self.total or not self.rate:
            return None
        return max(0, int((self.total - self.done) / self.rate))


class Cancelled(Exception):
    """Raised inside a job when the user asked to cancel; the job's transaction rolls back."""


class Reporter:
    """Handed to a long job: `report(done)` every chunk; raises Cancelled on request.

    Writes at most every `interval` seconds so reporting costs nothing measurable.
    """

    def __init__(self, job_id: int | None, total: int = 0, interval: float = 0.5) -> None:
        self.job_id = job_id
        self.total = total
        self.interval = interval
        self.started = time.time()
        self._last = 0.0
        self.phase = ""

    def report(self, done: int, *, phase: str | None = None, force: bool = False) -> None:
        if phase is not None:
            self.phase = phase
        now = time.time()
        if self.job_id is None or (not force and now - self._last < self.interval):
            return
        self._last = now
        progress_write(
            self.job_id,
            Progress(
                done=done, total=self.total, phase=self.phase, started=self.started, updated=now
            ),
        )
        if cancel_requested(self.job_id):
            raise Cancelled


def _path(job_id: int, suffix: str) -> Path:
    return jobs_dir() / f"{int(job_id)}.{suffix}"


def progress_write(job_id: int, progress: Progress) -> None:
    path = _path(job_id, "progress.json")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(progress)), encoding="utf-8")
    os.replace(tmp, path)


def progress_read(job_id: int) -> Progress:
    try:
        data = json.loads(_path(job_id, "progress.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return Progress()
    return Progress(**{k: data[k] for k in Progress.__dataclass_fields__ if k in data})


def cancel_request(job_id: int) -> None:
    _path(job_id, "cancel").touch()


def cancel_requested(job_id: int) -> bool:
    return _path(job_id, "cancel").exists()


def progress_clear(job_id: int) -> None:
    for suffix in ("progress.json", "cancel"):
        _path(job_id, suffix).unlink(missing_ok=True)
