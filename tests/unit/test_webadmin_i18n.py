"""The pages' language: the user's own choice, else the browser's, else English; and
the engine's messages translated on the way out (pages and API), never in the engine."""
from __future__ import annotations

from sqlalchemy import select

from engine.accounts.models import User
from engine.uow import transaction
from tests.unit.webadmin_world import (bearer, field_errors, post_form, signed_in,
                                       sqlite_world)

__all__ = ["sqlite_world"]  # fixtures

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH = {"Accept-Language": "en-US"}


def page(client, path: str, headers: dict | None = None) -> str:
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def language_of(world, user: str = "olivia") -> str | None:
    with transaction(world.settings) as db:
        return db.scalar(select(User.language).where(User.name == user))


def test_a_page_answers_in_the_browsers_language(sqlite_world):
    client = signed_in(sqlite_world)
    chinese = page(client, "/", CHINESE)
    assert '<html lang="zh-CN">' in chinese
    assert "概览" in chinese and "创建实例" in chinese and "Create an instance" not in chinese
    english = page(client, "/", ENGLISH)
    assert '<html lang="en">' in english
    assert "Overview" in english and "Create an instance" in english and "概览" not in english


def test_the_browsers_order_decides_and_unknown_languages_fall_back_to_english(sqlite_world):
    client = signed_in(sqlite_world)
    assert "Create an instance" in page(client, "/", {"Accept-Language": "en-GB,zh-CN;q=0.5"})
    assert "创建实例" in page(client, "/", {"Accept-Language": "fr-FR,zh;q=0.8,en;q=0.5"})
    assert "Create an instance" in page(client, "/", {"Accept-Language": "fr-FR"})
    assert "Create an instance" in page(client, "/")


def test_the_users_own_language_overrides_the_browser(sqlite_world):
    client = signed_in(sqlite_world)
    response = post_form(client, "/language", {"language": "zh_CN"}, headers=ENGLISH)
    assert response.status_code == 302
    assert language_of(sqlite_world) == "zh_CN"
    overview = page(client, "/", ENGLISH)
    assert "创建实例" in overview and "语言已保存" in overview
    # Another user of the account still follows their browser.
    alices = page(signed_in(sqlite_world, "alice"), "/", ENGLISH)
    assert "Overview" in alices and "概览" not in alices
    # Back to the browser's choice.
    assert post_form(client, "/language", {"language": ""}).status_code == 302
    assert language_of(sqlite_world) is None
    assert "Create an instance" in page(client, "/", ENGLISH)


def test_a_bad_language_gets_the_fields_error_and_writes_nothing(sqlite_world):
    client = signed_in(sqlite_world)
    post_form(client, "/language", {"language": "en"})
    for bad in ("fr", "zh-CN", "EN", "en\n", "x" * 300):
        response = post_form(client, "/language", {"language": bad}, headers=ENGLISH)
        assert response.status_code == 422
        assert field_errors(response.get_data(as_text=True))["language"].startswith(
            "invalid language")
        assert language_of(sqlite_world) == "en"
    # alice chose nothing: her browser asks for Chinese, so the error speaks Chinese.
    response = post_form(signed_in(sqlite_world, "alice"), "/language", {"language": "fr"},
                         headers=CHINESE)
    assert "无效的语言" in field_errors(response.get_data(as_text=True))["language"]


def test_the_language_page_needs_a_signed_in_user_and_a_csrf_token(sqlite_world):
    client = sqlite_world.app().test_client()
    assert client.get("/language").status_code == 302
    client = signed_in(sqlite_world)
    assert client.post("/language", data={"language": "zh_CN"}).status_code == 400
    assert language_of(sqlite_world) is None


def new_group_path(world) -> str:
    return f"/instances/{world.ids['acme_instance']}/skillgroups/new"


def test_an_engine_error_is_shown_translated_in_a_form(sqlite_world):
    """The engine's message (a template and its values) is translated at the page."""
    client = signed_in(sqlite_world)
    sent = {"name": "vip", "strategy": "loudest", "wait_timeout": "5"}
    english = field_errors(post_form(client, new_group_path(sqlite_world), sent,
                                     headers=ENGLISH).get_data(as_text=True))
    assert english["name"] == "skill group &#39;vip&#39; already exists in sales.acme"
    assert english["strategy"].startswith("invalid strategy &#39;loudest&#39;: choose one of")
    response = post_form(client, new_group_path(sqlite_world), sent, headers=CHINESE)
    assert response.status_code == 422
    chinese = field_errors(response.get_data(as_text=True))
    assert chinese["name"] == "技能组 &#39;vip&#39; 已存在于 sales.acme 中"
    assert chinese["strategy"].startswith("无效的排队策略 &#39;loudest&#39;：请选择")
    assert chinese["wait_timeout"] == "无效的等待超时 5：应为 10 到 3600 秒"
    # A nested word ("skill group name") is translated inside the message around it.
    response = post_form(client, new_group_path(sqlite_world), {"name": "bad/name"},
                         headers=CHINESE)
    assert field_errors(response.get_data(as_text=True))["name"].startswith(
        "无效的技能组名称 &#39;bad/name&#39;：1-64 个字母")


def test_the_api_answers_in_the_requests_language_keeping_its_codes(sqlite_world):
    api = sqlite_world.app().test_client()
    path = f"/api/v1/instances/{sqlite_world.ids['acme_instance']}/skillgroups"
    english = api.post(path, json={"name": "vip"}, headers=bearer(sqlite_world) | ENGLISH)
    chinese = api.post(path, json={"name": "vip"}, headers=bearer(sqlite_world) | CHINESE)
    assert english.status_code == chinese.status_code == 409
    assert english.json == {"error": "skill group 'vip' already exists in sales.acme",
                            "fields": {"name": "skill group 'vip' already exists in sales.acme"}}
    assert chinese.json == {"error": "技能组 'vip' 已存在于 sales.acme 中",
                            "fields": {"name": "技能组 'vip' 已存在于 sales.acme 中"}}
    # The face's own checks too; without Accept-Language the API speaks English.
    wrong = {"name": "new", "strategy": "loudest"}
    chinese = api.post(path, json=wrong, headers=bearer(sqlite_world) | CHINESE)
    assert chinese.status_code == 422
    assert chinese.json["fields"]["strategy"].startswith("ringall, ")
    assert chinese.json["fields"]["strategy"].endswith(" 之一")
    plain = api.post(path, json=wrong, headers=bearer(sqlite_world))
    assert plain.json["fields"]["strategy"].startswith("one of ringall")
    assert api.get(path, headers=CHINESE).json == {
        "error": "请发送令牌：Authorization: Bearer <token>"}


def test_a_users_own_language_does_not_change_the_api(sqlite_world):
    post_form(signed_in(sqlite_world), "/language", {"language": "zh_CN"})
    api = sqlite_world.app().test_client()
    path = f"/api/v1/instances/{sqlite_world.ids['acme_instance']}/skillgroups"
    answer = api.post(path, json={"name": "vip"}, headers=bearer(sqlite_world) | ENGLISH)
    assert answer.json["error"] == "skill group 'vip' already exists in sales.acme"
