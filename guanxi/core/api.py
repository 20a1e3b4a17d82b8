"""API plumbing shared by every app: pagination, error format, conflict mapping,
relations written as ids and read as small objects. Views live in `viewsets.py`."""

from typing import Any

from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import pagination, serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.pagination import Cursor
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ConflictError

CURSOR_SALT = "guanxi.api.cursor"


class CursorPagination(pagination.CursorPagination):
    """DRF's cursor pagination with two changes.

    * The ordering comes from the view when it defines `get_cursor_ordering(request)`
      (e.g. customers honour their `ordering` filter) or a `cursor_ordering` tuple;
      otherwise newest first.
    * Cursors are signed and carry the ordering they were made for. DRF's plain
      base64 cursor lets a client forge the position (a string compared against
      the ordering field, which can crash the query); a forged, stale or
      other-ordering cursor answers 400 instead.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
    invalid_cursor_message = _("Invalid cursor: start again from the first page.")

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any = None) -> tuple:
        hook = getattr(view, "get_cursor_ordering", None)
        if hook is not None:
            return tuple(hook(request))
        return tuple(getattr(view, "cursor_ordering", None) or (self.ordering,))

    def encode_cursor(self, cursor: Cursor) -> str:
        tokens = {
            "o": cursor.offset,
            "r": int(cursor.reverse),
            "p": cursor.position,
            "k": list(self.ordering),
        }
        encoded = signing.dumps(tokens, salt=CURSOR_SALT, compress=True)
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            tokens = signing.loads(encoded, salt=CURSOR_SALT)
            if tokens["k"] != list(self.ordering):
                raise ValueError("cursor made for another ordering")
            offset = min(int(tokens["o"]), self.offset_cutoff)
            position = tokens["p"]
            if offset < 0 or not (position is None or isinstance(position, str)):
                raise ValueError("malformed cursor")
            return Cursor(offset=offset, reverse=bool(tokens["r"]), position=position)
        except (signing.BadSignature, ValueError, TypeError, KeyError):
            message = self.invalid_cursor_message
            raise ValidationError({self.cursor_query_param: [message]}) from None


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Conflict")
    default_code = "conflict"


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


def exception_handler(exc: Exception, context: dict) -> Response | None:
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
        exc = ValidationError(_django_errors(exc))
    if isinstance(exc, (Http404, DjangoPermissionDenied)):
        # Out-of-reach objects look exactly like missing ones: one generic message,
        # never Django's "No Customer matches the given query." for only one of them.
        exc = NotFound()
    return drf_exception_handler(exc, context)


def _django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A model/service ValidationError as DRF field errors; `__all__` → non_field_errors."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    key = api_settings.NON_FIELD_ERRORS_KEY
    return {(key if name == NON_FIELD_ERRORS else name): msgs for name, msgs in errors.items()}


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


# --- relations: written as an id, read as a small object ---------------------


class RefField(serializers.PrimaryKeyRelatedField):
    """A relation the client writes as an id and reads as a small object.

    `{"owner": 7}` in, `{"owner": {"id": 7, "name": "王芳", …}}` out, so a list
    needs no second request to show names. The OpenAPI schema says exactly that
    (integer in the request component, the ref component in the response).
    """

    ref_serializer_class: type[serializers.Serializer]

    def __init__(self, ref_serializer_class: type[serializers.Serializer] | None = None, **kw):
        if ref_serializer_class is not None:
            self.ref_serializer_class = ref_serializer_class
        super().__init__(**kw)

    def use_pk_only_optimization(self) -> bool:
        return False

    def to_representation(self, value: Model) -> dict[str, Any]:
        return self.ref_serializer_class(value, context=self.context).data

    def get_choices(self, cutoff: int | None = None) -> dict[Any, str]:
        # The browsable API builds <select> options keyed by representation; ours is
        # a dict (unhashable), so key by primary key instead.
        queryset = self.get_choices_queryset()
        if queryset is None:
            return {}
        if cutoff is not None:
            queryset = queryset[:cutoff]
        return {item.pk: self.display_value(item) for item in queryset}

    def get_choices_queryset(self) -> QuerySet | None:
        return self.get_queryset()


class RefFieldSchema(OpenApiSerializerFieldExtension):
    target_class = RefField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        return auto_schema.resolve_serializer(self.target.ref_serializer_class, direction).ref


# --- error shapes for the schema ---------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current_version = serializers.IntegerField()
    current = serializers.DictField(help_text=_("The stored values of the fields you sent."))


BAD_REQUEST = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description='Field errors {"field": ["message"]}, or {"detail": "message"}.',
)
NOT_FOUND = OpenApiResponse(
    response=ErrorSerializer,
    description="Missing, or out of the caller's reach (the two are indistinguishable).",
)
CONFLICT = OpenApiResponse(
    response=ConflictSerializer,
    description="The version sent is not the current one; nothing was saved.",
)


class VersionedUpdateSerializerMixin(serializers.Serializer):
    """Updates must send the version they read; PATCH included (partial skips `required`)."""

    version = serializers.IntegerField(
        min_value=1,
        help_text=_("The version you read. A stale one answers 409 and nothing is saved."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None and attrs.get("version") is None:
            raise ValidationError(
                {"version": [_("Send the version you read; it is required for updates.")]}
            )
        return attrs
