from rest_framework import viewsets
from rest_framework.authtoken.views import obtain_auth_token as obtain_token  # noqa: F401


class UserViewSet(viewsets.ViewSet):
    pass


class TeamViewSet(viewsets.ViewSet):
    pass
