"""Bar charts for the report pages, laid out on the server and drawn as inline SVG by
the template (no script, nothing fetched): pure geometry, unit-tested."""
from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP = 48, 40, 12
MAX_BARS = 96


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    top_value: float
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base: int = HEIGHT - BOTTOM

    @property
    def label_every(self) -> int:
        # Labels of neighbouring bars would overlap: show about a dozen.
        return max(1, len(self.bars) // 12)


def bar_chart(title: str, points: list[tuple[str, float | None]]) -> Chart:
    """One bar per (label, value); an empty value draws no bar. The scale's top is the
    largest value (at least 1), so bars of small counts are not stretched."""
    points = points[-MAX_BARS:]
    top = max([value or 0 for _, value in points] + [1])
    span = (HEIGHT - BOTTOM - TOP)
    slot = (WIDTH - LEFT) / max(1, len(points))
    bars = []
    for index, (label, value) in enumerate(points):
        height = span * (value or 0) / top
        bars.append(Bar(label, value or 0, LEFT + index * slot + slot * 0.15,
                        HEIGHT - BOTTOM - height, slot * 0.7, height))
    return Chart(title, tuple(bars), top)


def sum_by(rows: list[dict], label: str, figure: str) -> list[tuple[str, float]]:
    """A figure added up per label (an interval, a node...), in the rows' order."""
    totals: dict[str, float] = {}
    for row in rows:
        totals[str(row[label])] = totals.get(str(row[label]), 0) + (row.get(figure) or 0)
    return list(totals.items())
