"""users/ and teams/: read-only, least privilege."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def ids(api, path):
    r = api.get(path)
    assert r.status_code == 200, r.text
    return {row["id"] for row in r.json()["results"]}


def test_rep_sees_only_themselves(world, api_as):
    api = api_as(world.owner)
    assert ids(api, "users/") == {world.owner.pk}
    assert api.get(f"users/{world.teammate.pk}/").status_code == 404
    assert api.get(f"users/{world.director.pk}/").status_code == 404
    me = api.get("users/me/").json()
    assert me["id"] == world.owner.pk and me["role"] == "rep"
    assert me["team"] == {"id": world.owner.team_id, "name": "A"}
    assert "email" not in me and "password" not in me and "phone" not in me


def test_manager_sees_their_team_and_director_everyone(world, api_as):
    team_a = {world.manager.pk, world.owner.pk, world.teammate.pk}
    assert ids(api_as(world.manager), "users/") == team_a
    assert ids(api_as(world.other_manager), "users/") == {world.other_manager.pk, world.outsider.pk}
    everyone = {
        u.pk
        for u in (
            world.owner,
            world.teammate,
            world.outsider,
            world.manager,
            world.other_manager,
            world.director,
            world.admin,
        )
    }
    assert ids(api_as(world.director), "users/") == everyone
    assert ids(api_as(world.director), "users/?role=manager") == {
        world.manager.pk,
        world.other_manager.pk,
    }
    assert api_as(world.director).get("users/?role=emperor").status_code == 400


def test_teams_by_role(world, api_as):
    team_a, team_b = world.owner.team, world.outsider.team
    assert ids(api_as(world.owner), "teams/") == {team_a.pk}
    assert api_as(world.owner).get(f"teams/{team_b.pk}/").status_code == 404
    assert ids(api_as(world.manager), "teams/") == {team_a.pk}
    assert ids(api_as(world.other_manager), "teams/") == {team_b.pk}
    assert ids(api_as(world.director), "teams/") == {team_a.pk, team_b.pk}
    detail = api_as(world.manager).get(f"teams/{team_a.pk}/").json()
    assert detail["manager"]["id"] == world.manager.pk
    assert ids(api_as(UserFactory()), "teams/") == set()


def test_users_and_teams_are_read_only(world, api_as):
    api = api_as(world.director)
    assert api.post("users/", {"username": "x"}).status_code == 405
    assert api.patch(f"users/{world.owner.pk}/", {"role": "admin"}).status_code == 405
    assert api.delete(f"teams/{world.owner.team_id}/").status_code == 405
    world.owner.refresh_from_db()
    assert world.owner.role == "rep"
