"""The service-backed viewset every app's API builds on: validate → service → serialize.

Kept apart from `api.py` because DRF imports `api.py` while it is itself importing
its generic views (DEFAULT_PAGINATION_CLASS), so `api.py` must not import them.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Model
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from .api import BAD_REQUEST, CONFLICT, NOT_FOUND, RequestTooLarge


def crud_schema(read: type[serializers.Serializer], tag: str) -> Callable[[type], type]:
    """OpenAPI annotations for a ServiceViewSet: responses use the read serializer,
    errors are documented, and operations are grouped under `tag`."""
    write = {200: read, 400: BAD_REQUEST, 404: NOT_FOUND, 409: CONFLICT}
    return extend_schema_view(
        list=extend_schema(tags=[tag], responses={200: read(many=True), 400: BAD_REQUEST}),
        retrieve=extend_schema(tags=[tag], responses={200: read, 404: NOT_FOUND}),
        create=extend_schema(tags=[tag], responses={201: read, 400: BAD_REQUEST}),
        update=extend_schema(tags=[tag], responses=write),
        partial_update=extend_schema(tags=[tag], responses=write),
        destroy=extend_schema(tags=[tag], responses={204: None, 404: NOT_FOUND}),
    )


# --- views --------------------------------------------------------------------


class BoundedBodyMixin:
    """Refuse oversized bodies before parsing.

    DRF's JSON parser reads the stream itself and so skips Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE check; without this a client could make the
    server hold any amount of JSON in memory.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise RequestTooLarge()
        super().initial(request, *args, **kwargs)


class ServiceViewSet(
    BoundedBodyMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """CRUD where reads come from a selector and every write goes through a service.

    validate (serializer) → service → serialize. Subclasses set `serializer_class`
    (read + create), `update_serializer_class` (adds the required `version`), and
    implement `service_create`, `service_update` and `service_delete`.
    """

    update_serializer_class: type[serializers.Serializer]
    lookup_value_regex = "[0-9]+"
    cursor_ordering: tuple[str, ...] = ("-id",)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action in ("update", "partial_update"):
            return self.update_serializer_class
        return self.serializer_class

    # hooks ------------------------------------------------------------------
    def service_create(self, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def service_update(self, instance: Model, *, version: int, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def service_delete(self, instance: Model) -> None:
        raise NotImplementedError

    # actions ----------------------------------------------------------------
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.service_create(dict(serializer.validated_data))
        return Response(self.represent(obj), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        serializer = self.get_serializer(
            instance, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version")
        obj = self.service_update(instance, version=version, data=data)
        return Response(self.represent(obj))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.service_delete(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def represent(self, obj: Model) -> dict[str, Any]:
        """The saved row as the caller now sees it (re-read through the selector, so
        relations changed by the service, e.g. a new owner, are current)."""
        fresh = self.get_queryset().filter(pk=obj.pk).first() or obj
        return self.serializer_class(fresh, context=self.get_serializer_context()).data
