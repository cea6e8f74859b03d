"""``ccc report`` and /api/v1/instances/<id>/reports: the same rows, the account's only."""
from __future__ import annotations

import csv
import io
import json

import pytest

from engine.reports.ingest import store_events
from engine.reports.queuelog import parse_line
from engine.uow import transaction
from tests.unit.test_cli import acme, ccc, settings  # noqa: F401 - fixtures
from tests.unit.webadmin_world import bearer, sqlite_world, world  # noqa: F401 - fixtures

API = "/api/v1"
AT = 1796263200  # 2026-12-03 10:00:00 on the site's clock (+08:00)


def day_of_calls(queue: str, member: str) -> list[str]:
    """An answered call (8 s wait, 30 s talk) and an abandoned one (12 s wait)."""
    return [f"{AT}|u-1.4|{queue}|NONE|ENTERQUEUE||13800138000|1",
            f"{AT + 1}|u-1.6|{queue}|NONE|ENTERQUEUE||13800138001|2",
            f"{AT + 8}|u-1.4|{queue}|{member}|CONNECT|8|u-1.5|3",
            f"{AT + 13}|u-1.6|{queue}|NONE|ABANDON|1|2|12",
            f"{AT + 38}|u-1.4|{queue}|{member}|COMPLETECALLER|8|30|1"]


def test_ccc_report_skillgroup_as_a_table_json_and_csv(ccc, settings, acme):  # noqa: F811
    settings.queue_log.parent.mkdir(parents=True, exist_ok=True)
    settings.queue_log.write_text("\n".join(day_of_calls("i1-q1", "i1-1001")) + "\n")
    assert ccc("report", "ingest").stdout == "5 queue events added\n"
    assert ccc("report", "ingest").stdout == "0 queue events added\n"
    period = ("--instance", "sales.acme", "--from", "2026-12-03", "--to", "2026-12-04")
    [row] = json.loads(ccc("report", "skillgroup", *period, "--json").stdout)
    assert (row["skill_group"], row["CallsOffered"], row["CallsHandled"],
            row["CallsAbandoned"]) == ("default", 2, 1, 1)
    table = ccc("report", "skillgroup", *period).stdout.splitlines()
    assert table[0].split()[:4] == ["INTERVAL_START", "SKILL_GROUP", "CALLSOFFERED",
                                    "CALLSHANDLED"]
    assert table[1].split()[:4] == ["2026-12-03T00:00", "default", "2", "1"]
    [parsed] = csv.DictReader(io.StringIO(ccc("report", "skillgroup", *period, "--csv").stdout))
    assert parsed["CallsOffered"] == "2" and parsed["AverageTalkTime"] == "30.0"
    [agent] = json.loads(ccc("report", "agent", *period, "--json").stdout)
    assert agent["agent"] == "1001" and agent["CallsHandled"] == 1
    [agent_row] = csv.DictReader(io.StringIO(ccc("report", "agent", *period, "--csv").stdout))
    assert agent_row["StateTime.READY"] == "0.0" and agent_row["TalkTime"] == "30.0"


@pytest.mark.parametrize("args, message", [
    (("--from", "2026-12-32", "--to", "2026-12-04"), "from must be a date as YYYY-MM-DD"),
    (("--from", "2026-12-03", "--to", "yesterday"), "to must be a date as YYYY-MM-DD"),
    (("--from", "2026-12-04", "--to", "2026-12-03"), "the end date must come after"),
    (("--from", "2026-12-03", "--to", "2026-12-04", "--interval", "week"), "interval must be"),
    (("--from", "2026-12-03", "--to", "2026-12-04", "--json", "--csv"), "choose one of"),
])
def test_ccc_report_refuses_bad_input_in_one_line(ccc, acme, args, message):  # noqa: F811
    result = ccc("report", "skillgroup", "--instance", "sales.acme", *args, ok=False)
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_ccc_report_of_an_unknown_instance(ccc, acme):  # noqa: F811
    result = ccc("report", "agent", "--instance", "nowhere.acme", "--from", "2026-12-03",
                 "--to", "2026-12-04", ok=False)
    assert result.exit_code == 1 and "unknown instance" in result.output


@pytest.fixture
def reported(sqlite_world):  # noqa: F811
    ids = sqlite_world.ids
    lines = (day_of_calls(f"i{ids['acme_instance']}-q{ids['acme_default_group']}",
                          f"i{ids['acme_instance']}-1001")
             + [line.replace("u-1.", "g-1.") for line in day_of_calls(
                 f"i{ids['globex_instance']}-q{ids['globex_group']}",
                 f"i{ids['globex_instance']}-1001")])
    with transaction(sqlite_world.settings) as db:
        assert store_events(db, [parse_line(line) for line in lines]) == 10
    return sqlite_world


def report_path(of_world, instance="acme_instance", kind="skillgroups",
                query="from=2026-12-03&to=2026-12-04"):
    return f"{API}/instances/{of_world.ids[instance]}/reports/{kind}?{query}"


def test_the_api_gives_the_instances_report(reported):
    api = reported.app().test_client()
    response = api.get(report_path(reported), headers=bearer(reported))
    assert response.status_code == 200
    [row] = response.get_json()
    assert (row["CallsOffered"], row["CallsHandled"], row["CallsAbandoned"]) == (2, 1, 1)
    csv_text = api.get(report_path(reported, query="from=2026-12-03&to=2026-12-04&format=csv"),
                       headers=bearer(reported))
    assert csv_text.mimetype == "text/csv"
    assert next(csv.DictReader(io.StringIO(csv_text.get_data(as_text=True))))[
        "CallsOffered"] == "2"
    [agent] = api.get(report_path(reported, kind="agents"), headers=bearer(reported)).get_json()
    assert agent["agent"] == "1001" and agent["CallsHandled"] == 1


def test_another_accounts_instance_is_not_found_and_agents_see_no_reports(reported):
    api = reported.app().test_client()
    for kind in ("skillgroups", "agents", "ivr", "numbers"):
        other = api.get(report_path(reported, "globex_instance", kind), headers=bearer(reported))
        assert other.status_code == 404, kind
        own = api.get(report_path(reported, "globex_instance", kind),
                      headers=bearer(reported, "mallory"))
        assert own.status_code == 200, kind
        if kind in ("skillgroups", "agents"):
            assert own.get_json()[0]["CallsHandled"] == 1
        assert api.get(report_path(reported, kind=kind),
                       headers=bearer(reported, "andy")).status_code == 403
        assert api.get(report_path(reported, kind=kind)).status_code == 401


def test_a_platform_reviewer_sees_no_accounts_reports(reported):
    """rhea reviews every account's qualifications, and belongs to none: no account's
    report is hers, whatever her role's name says: the faces keep her in her own area
    (403), and the engine's rule refuses her too."""
    from sqlalchemy import select

    from engine import access
    from engine.accounts.models import User
    from engine.errors import Forbidden
    from engine.instances.models import Instance
    from tests.unit.webadmin_world import signed_in
    api = reported.app().test_client()
    page = signed_in(reported, "rhea", account="")
    for instance in ("acme_instance", "globex_instance"):
        for kind in ("skillgroups", "agents", "ivr", "numbers"):
            assert api.get(report_path(reported, instance, kind),
                           headers=bearer(reported, "rhea")).status_code == 403, kind
        assert page.get(f"/instances/{reported.ids[instance]}/reports").status_code == 403
        with transaction(reported.settings) as db:
            rhea = db.scalar(select(User).where(User.name == "rhea"))
            target = db.get(Instance, reported.ids[instance])
            assert not access.may_see_reports(db, rhea, target)
            with pytest.raises(Forbidden):
                access.check_see_reports(db, rhea, target)


@pytest.mark.parametrize("query, field", [
    ("to=2026-12-04", "from"), ("from=2026-12-03&to=2026-02-30", "to"),
    ("from=2026-12-03&to=2026-12-04&interval=fortnight", "interval"),
    ("from=%EF%BC%92026-12-03&to=2026-12-04", "from"),
])
def test_bad_periods_get_422_naming_the_field(reported, query, field):
    response = reported.app().test_client().get(report_path(reported, query=query),
                                                headers=bearer(reported))
    assert response.status_code == 422 and field in response.get_json()["fields"]


def test_the_report_routes_are_in_the_openapi_document(reported):
    paths = reported.app().test_client().get(API + "/openapi.json").get_json()["paths"]
    operation = paths["/api/v1/instances/{instance_id}/reports/skillgroups"]["get"]
    assert operation["operationId"] == "ListIntervalSkillGroupReport"
    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} == {
        "from", "to", "interval", "format"}
    assert paths["/api/v1/instances/{instance_id}/reports/agents"]["get"][
        "operationId"] == "ListIntervalAgentReport"
    assert paths["/api/v1/instances/{instance_id}/reports/ivr"]["get"][
        "operationId"] == "GetIvrReport"
    assert paths["/api/v1/instances/{instance_id}/reports/numbers"]["get"][
        "operationId"] == "GetNumberReport"


@pytest.mark.parametrize("kind", ["ivr", "number"])
def test_ccc_report_ivr_and_number_and_their_bad_input(ccc, acme, kind):  # noqa: F811
    period = ("--instance", "sales.acme", "--from", "2026-12-03", "--to", "2026-12-04")
    assert json.loads(ccc("report", kind, *period, "--json").stdout) == []
    assert ccc("report", kind, *period, "--csv").stdout.startswith("interval_start,")
    for args, message in ((("--interval", "year"), "interval must be"),
                          (("--to", "2026-12-03"), "the end date must come after")):
        result = ccc("report", kind, *period, *args, ok=False)
        assert result.exit_code == 1 and message in result.output
        assert len(result.output.strip().splitlines()) == 1
    result = ccc("report", kind, "--instance", "sales.globex", "--from", "2026-12-03",
                 "--to", "2026-12-04", ok=False)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1


def test_the_reports_page_draws_a_chart_per_tab_in_both_languages(reported):
    from tests.unit.webadmin_world import signed_in
    client = signed_in(reported)
    base = f"/instances/{reported.ids['acme_instance']}/reports?from=2026-12-03&to=2026-12-04"
    page = client.get(base + "&interval=hour").get_data(as_text=True)
    assert page.count('<rect class="bar"') == 1 and "<svg" in page
    assert "Calls offered per interval" in page and "2026-12-03T10:00" in page
    for kind in ("agents", "ivr", "numbers"):
        assert client.get(base + f"&report={kind}").status_code == 200, kind
    csv_page = client.get(base + "&format=csv")
    assert csv_page.mimetype == "text/csv" and b"CallsOffered" in csv_page.data
    chinese = client.get(base, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Calls offered per interval" not in chinese
    hostile = client.get(base.replace("2026-12-04", "2026-13-99") + "&interval=weekly")
    assert hostile.status_code == 422 and 'id="to-error"' in hostile.get_data(as_text=True)
    # A NUL anywhere in the query is refused before any page reads it.
    assert client.get(base + "&interval=%00").status_code == 422
    assert client.get(base + "&report=../etc").status_code == 404
    other = f"/instances/{reported.ids['globex_instance']}/reports"
    assert client.get(other).status_code == 404


def test_a_bar_chart_scales_to_its_largest_value():
    from webadmin.reports.charts import bar_chart
    chart = bar_chart("t", [("a", 2), ("b", 4), ("c", None)])
    assert [bar.height for bar in chart.bars] == [84.0, 168.0, 0.0]
    assert chart.bars[1].y == chart.base - 168.0 and chart.top_value == 4
    assert bar_chart("t", []).bars == ()


def test_a_skill_groups_service_level_threshold_is_set_through_the_api(reported):
    api = reported.app().test_client()
    path = f"{API}/instances/{reported.ids['acme_instance']}/skillgroups/" \
           f"{reported.ids['acme_default_group']}"
    assert api.get(path, headers=bearer(reported)).get_json()["service_level_seconds"] == 20
    changed = api.patch(path, headers=bearer(reported), json={"service_level_seconds": 7})
    assert changed.status_code == 200 and changed.get_json()["service_level_seconds"] == 7
    [row] = api.get(report_path(reported), headers=bearer(reported)).get_json()
    assert row["service_level_seconds"] == 7 and row["ServiceLevel"] == 0.0  # 8 s wait
    refused = api.patch(path, headers=bearer(reported), json={"service_level_seconds": 0})
    assert refused.status_code == 422 and "service_level_seconds" in refused.get_json()["fields"]


def test_a_skill_groups_service_level_threshold_is_set_with_ccc(ccc, acme):  # noqa: F811
    ccc("skillgroup", "update", "--instance", "sales.acme", "--name", "default",
        "--service-level", "30")
    [group] = json.loads(ccc("skillgroup", "list", "--instance", "sales.acme", "--json").stdout)
    assert group["service_level"] == 30
