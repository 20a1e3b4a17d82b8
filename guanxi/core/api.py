"""API plumbing shared by every app: pagination, error format, conflict mapping."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ConflictError


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict"
    default_code = "conflict"


def exception_handler(exc, context):
    """JSON errors: {"detail": …} or {"field": ["message"]}; stale versions answer 409."""
    if isinstance(exc, ConflictError):
        return Response(
            {
                "detail": str(exc),
                "current_version": exc.current_version,
                "current": {k: _jsonable(v) for k, v in exc.current.items()},
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    if isinstance(exc, DjangoPermissionDenied):
        # Out-of-reach objects look exactly like missing ones.
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return drf_exception_handler(exc, context)


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "pk"):
        return value.pk
    return str(value)
