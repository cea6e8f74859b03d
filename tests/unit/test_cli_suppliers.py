"""``ccc supplier create | update | show | list | assign``: the platform's suppliers and
their policies; one-line mistakes, exit 1, nothing written."""
from __future__ import annotations

import json

import pytest

from tests.unit.test_cli import SALES, ccc, settings

__all__ = ["ccc", "settings"]  # fixtures


@pytest.fixture
def metro(ccc):
    ccc("account", "create", "acme", "--plan", "payg")
    ccc(*SALES)
    ccc("supplier", "create", "--name", "metro", "--time-zone", "Asia/Shanghai",
        "--calling-hours", "mon-fri 09:00-20:00; sat 22:00-02:00", "--calls-per-day", "1",
        "--blocked-region", "Xinjiang", "--blocked-region", "西藏")


def show(ccc) -> dict:
    return json.loads(ccc("supplier", "show", "--name", "metro", "--json").stdout)


def test_a_supplier_is_created_shown_listed_and_provides_a_number(ccc, metro):
    assert "supplier metro" in ccc("supplier", "assign", "--number", "01012345678",
                                   "--supplier", "metro").stdout
    row = show(ccc)
    assert row["calling_hours"] == "mon,tue,wed,thu,fri 09:00-20:00; sat 22:00-02:00"
    assert row["calling_hours_windows"][1] == {"weekdays": [5], "start": "22:00",
                                               "end": "02:00"}
    assert (row["calls_per_day"], row["calls_per_24h"], row["concurrency"]) == (1, None, 20)
    assert row["blocked_regions"] == ["Xinjiang", "西藏"]
    assert row["numbers"] == ["01012345678"]
    table = ccc("supplier", "list").stdout
    assert table.splitlines()[0].split()[:2] == ["NAME", "TIME_ZONE"] and "metro" in table
    numbers = json.loads(ccc("number", "list", "--json").stdout)
    assert numbers[0]["supplier"] == "metro"


def test_an_update_changes_only_what_it_names_and_clears_with_empty(ccc, metro):
    ccc("supplier", "update", "--name", "metro", "--calls-per-day", "", "--calls-per-48h",
        "2", "--concurrency", "5", "--no-blocked-regions")
    row = show(ccc)
    assert (row["calls_per_day"], row["calls_per_48h"], row["concurrency"]) == (None, 2, 5)
    assert row["blocked_regions"] == [] and row["calling_hours"].startswith("mon,tue")
    ccc("supplier", "update", "--name", "metro", "--concurrency", "", "--calling-hours", "")
    row = show(ccc)
    assert row["concurrency"] == 20 and row["calling_hours"] == ""


@pytest.mark.parametrize("args, message", [
    (["update", "--name", "metro", "--time-zone", "Asia/Nowhere"], "unknown time zone"),
    (["update", "--name", "metro", "--calling-hours", "mon 9-17"], "invalid calling hours"),
    (["update", "--name", "metro", "--calls-per-day", "0"], "invalid calls per day"),
    (["update", "--name", "metro", "--calls-per-day", "١"], "invalid calls per day"),
    (["update", "--name", "metro", "--concurrency", "99999999999999999999999"],
     "invalid concurrency"),
    (["update", "--name", "metro", "--blocked-region", "a;b"], "invalid region"),
    (["update", "--name", "nobody", "--concurrency", "3"], "no supplier named 'nobody'"),
    (["create", "--name", "metro", "--time-zone", "UTC"], "already exists"),
    (["create", "--name", "x&y", "--time-zone", "UTC"], "invalid supplier name"),
    (["create", "--name", "other"], "--time-zone is required"),
    (["assign", "--number", "01099999999", "--supplier", "metro"], "no number"),
    (["assign", "--number", "01012345678", "--supplier", "nobody"], "no supplier"),
])
def test_bad_input_is_one_line_exit_1_and_nothing_is_written(ccc, metro, args, message):
    before = show(ccc)
    result = ccc("supplier", *args, ok=False)
    assert result.exit_code == 1 and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert show(ccc) == before
    assert [s["name"] for s in json.loads(ccc("supplier", "list", "--json").stdout)] == \
        ["metro"]
