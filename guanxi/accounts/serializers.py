"""API shapes of users and teams. Read-only: accounts are managed in the admin."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.core.api import RefField

from .models import Role, Team, User


class UserRefSerializer(serializers.ModelSerializer):
    """How a user appears inside other records (owner, logged by, manager)."""

    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields


class TeamRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]
        read_only_fields = fields


class UserRefField(RefField):
    ref_serializer_class = UserRefSerializer


class UserSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    team = RefField(ref_serializer_class=TeamRefSerializer, read_only=True, allow_null=True)

    class Meta:
        model = User
        # Deliberately no email/phone/last_login: colleagues' contact data is not
        # needed to work with customers, and the API is least-privilege.
        fields = ["id", "username", "name", "display_name", "role", "team", "is_active"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    manager = UserRefField(read_only=True, allow_null=True)

    class Meta:
        model = Team
        fields = ["id", "name", "manager"]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=User._meta.get_field("username").max_length)
    # Bounded so a megabyte "password" is refused before hashing it.
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


LOCKED_OUT_MESSAGE = _(
    "Too many failed login attempts: this account is locked for a while. Try again later."
)
