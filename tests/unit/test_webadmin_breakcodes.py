"""Break codes on the instance's page in the web admin.

The world (tests/unit/webadmin_world.py): Sales (acme) has the default codes; Support
(globex) has GlobexOnly too.
"""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from engine.agentstate.models import BreakCode
from engine.uow import transaction
from tests.unit.webadmin_world import field_errors, post_form, signed_in, sqlite_world

__all__ = ["sqlite_world"]
DEFAULTS = ["Meal", "Meeting", "Rest", "Training"]


def stored(world, key: str = "acme_instance") -> list[tuple[str, str]]:
    with transaction(world.settings) as db:
        return sorted(db.execute(select(BreakCode.code, BreakCode.name).where(
            BreakCode.instance_id == world.ids[key])).all())


def path(world, key: str = "acme_instance") -> str:
    return f"/instances/{world.ids[key]}/break-codes"


def test_the_page_lists_adds_and_deletes(sqlite_world):
    client = signed_in(sqlite_world)
    page = client.get(path(sqlite_world)).get_data(as_text=True)
    assert "<td>Meal</td>" in page and "GlobexOnly" not in page  # its own instance's only
    response = post_form(client, path(sqlite_world), {"code": "Coaching", "name": "Coaching"})
    assert response.status_code == 302
    assert ("Coaching", "Coaching") in stored(sqlite_world)
    assert "Break code Coaching added" in client.get(path(sqlite_world)).get_data(as_text=True)
    response = post_form(client, path(sqlite_world) + "/Coaching/delete")
    assert response.status_code == 302
    assert [code for code, _ in stored(sqlite_world)] == DEFAULTS
    assert post_form(client, path(sqlite_world) + "/Coaching/delete").status_code == 404


@pytest.mark.parametrize("code, name, fields", [
    ("Rest&Hangup", "Rest", {"code"}),
    ("A" * 33, "Long", {"code"}),
    ("B" * 5000, "n" * 5000, {"code", "name"}),
    ("午休", "Nap", {"code"}),
    ("Ｌunch", "Lunch", {"code"}),                # a full-width letter is not ASCII
    ("Lunch", "午餐", {"name"}),
    ("Lunch", "Lunch & nap", {"name"}),
    ("Lunch", "", {"name"}),
    ("", "", {"code", "name"}),
    ("RingingTimeout", "Rang out", {"code"}),   # the system's own
    ("Meal", "Meal again", {"code"}),           # the instance has it
])
def test_hostile_input_gets_its_fields_error_and_writes_nothing(sqlite_world, code, name,
                                                               fields):
    client, before = signed_in(sqlite_world), stored(sqlite_world)
    response = post_form(client, path(sqlite_world), {"code": code, "name": name})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert set(field_errors(page)) == fields
    assert f'value="{html.escape(code)}"' in page  # what was typed is kept, escaped
    assert stored(sqlite_world) == before


def test_another_accounts_instance_answers_404(sqlite_world):
    client, before = signed_in(sqlite_world), stored(sqlite_world, "globex_instance")
    other = path(sqlite_world, "globex_instance")
    assert client.get(other).status_code == 404
    assert post_form(client, other, {"code": "Spy", "name": "Spy"}).status_code == 404
    assert post_form(client, other + "/GlobexOnly/delete").status_code == 404
    # Nor through the own instance's path: the code is looked up in that instance only.
    assert post_form(client, path(sqlite_world) + "/GlobexOnly/delete").status_code == 404
    assert stored(sqlite_world, "globex_instance") == before


@pytest.mark.parametrize("user", ["andy", "rita", "sam"])
def test_a_role_that_may_not_configure_may_look_but_not_change(sqlite_world, user):
    client, before = signed_in(sqlite_world, user), stored(sqlite_world)
    page = client.get(path(sqlite_world)).get_data(as_text=True)
    assert "<td>Meal</td>" in page and 'name="code"' not in page and "/delete" not in page
    assert post_form(client, path(sqlite_world), {"code": "Gym", "name": "Gym"}).status_code \
        == 403
    assert post_form(client, path(sqlite_world) + "/Meal/delete").status_code == 403
    assert stored(sqlite_world) == before


def test_an_instance_administrator_changes_only_the_instances_they_administer(sqlite_world):
    client = signed_in(sqlite_world, "alice")
    hotline = path(sqlite_world, "acme_hotline")
    assert post_form(client, hotline, {"code": "Gym", "name": "Gym"}).status_code == 403
    assert post_form(client, path(sqlite_world), {"code": "Gym", "name": "Gym"}).status_code \
        == 302


def test_the_page_speaks_chinese(sqlite_world):
    client = signed_in(sqlite_world)
    page = client.get(path(sqlite_world), headers={"Accept-Language": "zh-CN"}) \
        .get_data(as_text=True)
    assert "小休原因" in page and "<td>用餐</td>" in page  # a default code's name, translated
    response = post_form(client, path(sqlite_world), {"code": "Rest&", "name": "x"},
                         headers={"Accept-Language": "zh-CN"})
    assert "小休原因" in field_errors(response.get_data(as_text=True))["code"]
