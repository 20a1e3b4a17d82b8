"""Domain errors raised by services and translated to HTTP by views and the API."""

from typing import Any

from django.utils.translation import gettext_lazy as _


class ConflictError(Exception):
    """Someone saved the record after the caller read it: nothing was written."""

    def __init__(self, *, current_version: int, current: dict[str, Any] | None = None):
        self.current_version = current_version
        self.current = current or {}
        super().__init__(
            str(
                _(
                    "This record was changed by someone else (now at version %(v)s). "
                    "Nothing was saved; review the current values and try again."
                )
                % {"v": current_version}
            )
        )


class PermissionDeniedError(Exception):
    """The user may not perform this action on this record."""
