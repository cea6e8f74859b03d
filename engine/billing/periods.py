"""Billing months. A call is billed in the month it starts, on the billing clock.

Call records are kept in UTC. The billing clock is UTC plus a fixed offset (China
Standard Time, +08:00, by default: the billing clock of the operators it serves, which has no
daylight saving, so a fixed offset is exact), so a call at 07:00 on 1 December in
Beijing (23:00 UTC on 30 November) is a December call.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.errors import Invalid
from engine.messages import N_

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    utc_offset: timedelta = timedelta(hours=8)

    @classmethod
    def parse(cls, text: str, utc_offset_minutes: int = 480) -> Month:
        match = MONTH.fullmatch(text or "")
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
            message = N_("invalid month %(text)r: expected YYYY-MM, e.g. 2026-11", text=text)
            raise Invalid(message, fields={"month": message})
        return cls(int(match.group(1)), int(match.group(2)),
                   timedelta(minutes=utc_offset_minutes))

    @classmethod
    def containing(cls, moment: datetime, utc_offset_minutes: int = 480) -> Month:
        """The billing month of a UTC moment (a call is billed in the month it starts)."""
        local = moment + timedelta(minutes=utc_offset_minutes)
        return cls(local.year, local.month, timedelta(minutes=utc_offset_minutes))

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start, end) of the month in UTC, as call records keep their times."""
        return self.day_start_utc(self.first_day), self.day_start_utc(self.next_first_day)

    def day_start_utc(self, day: date) -> datetime:
        """Midnight of ``day`` on the billing clock, in UTC."""
        return datetime(day.year, day.month, day.day) - self.utc_offset

    @property
    def offset_minutes(self) -> int:
        return int(self.utc_offset.total_seconds() // 60)

    def __str__(self) -> str:
        return self.key
