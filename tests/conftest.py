"""Shared fixtures. The personas follow ARCHITECTURE rule 3: owner, teammate,
outsider, manager, other-team manager, director."""

from dataclasses import dataclass

import pytest

from guanxi.accounts.models import Role, User

from .factories import (
    PASSWORD,
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    NeedFactory,
    OrderFactory,
    TeamFactory,
    UserFactory,
)


@dataclass
class World:
    owner: User
    teammate: User
    outsider: User
    manager: User
    other_manager: User
    director: User
    admin: User
    customer: object
    contact: object
    interaction: object
    order: object
    need: object
    other_customer: object  # owned by the outsider (team B)

    @property
    def password(self) -> str:
        return PASSWORD


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Autouse fixtures run before `world`, whose seven users would otherwise spend
    # ~2 s per test in PBKDF2. Live servers in other threads read the same settings.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    team_a = TeamFactory(name="A")
    team_b = TeamFactory(name="B")
    manager = UserFactory(username="manager_a", role=Role.MANAGER, team=team_a)
    other_manager = UserFactory(username="manager_b", role=Role.MANAGER, team=team_b)
    team_a.manager = manager
    team_a.save()
    team_b.manager = other_manager
    team_b.save()
    owner = UserFactory(username="rep_a1", team=team_a)
    teammate = UserFactory(username="rep_a2", team=team_a)
    outsider = UserFactory(username="rep_b1", team=team_b)
    director = UserFactory(username="director", role=Role.DIRECTOR)
    admin = UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    customer = CustomerFactory(owner=owner, name="杭州青山机械制造有限公司")
    other_customer = CustomerFactory(owner=outsider, name="深圳蓝海电子有限公司")
    return World(
        owner=owner,
        teammate=teammate,
        outsider=outsider,
        manager=manager,
        other_manager=other_manager,
        director=director,
        admin=admin,
        customer=customer,
        contact=ContactFactory(customer=customer, name="王建国", is_key_person=True),
        interaction=InteractionFactory(customer=customer),
        order=OrderFactory(customer=customer),
        need=NeedFactory(customer=customer),
        other_customer=other_customer,
    )


@pytest.fixture
def login(client):
    def _login(user: User):
        client.force_login(user)
        return client

    return _login
