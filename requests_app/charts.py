"""Bar charts drawn on the server as SVG (``templates/partials/bar_chart.html``).

Two shapes: grouped vertical bars (``bar_chart``: months, weeks — one group per period, one
bar per series) and horizontal bars (``horizontal_bar_chart``: statuses, ages — named
categories, read on a phone without turning the head). Every bar has its value written beside
it: a bar at zero is a thin line with "0" by it, a category without a figure a dash, so that
no chart ever looks empty for lack of a bar. The pages show the same figures in a table; the
chart is for the eye.

Pure arithmetic over the figures given: no query, no template.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Colours with at least 3:1 against white (WCAG 1.4.11, graphical objects), the series in
# this order; the SLO report's two clocks use the first two.
SERIES_COLOURS = ("#1f5fa6", "#b45309", "#15803d", "#6d28d9", "#be123c")
# The thickness of a bar at zero: visible, and plainly not a value.
ZERO_BAR = 2.0
# About how wide a character of a value is (bold 10 px digits), to tell when values written
# across bars would overlap; they are then written upwards, with room above.
VALUE_CHAR_WIDTH = 6.2
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 22, 40
_TOP_UPWARDS = 44


@dataclass(frozen=True)
class Series:
    """One bar per category: its value (None: no figure for it), the text written by the
    bar, and the bar's tooltip."""

    key: str
    label: str
    values: Sequence[float | None]
    texts: Sequence[str]
    titles: Sequence[str]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class ChartText:
    x: float
    y: float
    text: str
    # A category's name on two lines or more (``wrap``), one per line.
    lines: tuple[str, ...] = ()
    # Written upwards (a bar's value where the bars stand too close for it across).
    rotate: bool = False
    anchor: str = "middle"  # SVG text-anchor


@dataclass(frozen=True)
class GridLine:
    x1: float
    y1: float
    x2: float
    y2: float
    label: ChartText


@dataclass(frozen=True)
class LegendItem:
    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    values: list[ChartText]  # each bar's value, by it
    categories: list[ChartText]
    grid: list[GridLine]
    legend: list[LegendItem]
    # The line the bars stand on: a y for vertical bars, an x for horizontal ones.
    baseline: float


def count_maximum(values: Sequence[float | None]) -> int:
    """The top of a value axis of counts: four grid steps of a round whole number (1, 2,
    2.5, 3, 4, 5 or 8 times a power of ten) that hold the largest value."""
    top = max([value for value in values if value is not None] + [1])
    power = 10 ** max(math.floor(math.log10(top / 4)), 0) if top > 4 else 1
    for step in (1, 2, 2.5, 3, 4, 5, 8, 10):
        candidate = step * power
        if candidate == int(candidate) and 4 * candidate >= top:
            return int(4 * candidate)
    return int(40 * power)


def _lines(text: str, width: int) -> tuple[str, ...]:
    """``text`` in lines of at most ``width`` characters where its words allow."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return tuple(lines) if len(lines) > 1 else ()


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _share(value: float, maximum: float) -> float:
    return min(max(value / maximum, 0.0), 1.0) if maximum else 0.0


def _legend(series: Sequence[Series]) -> list[LegendItem]:
    return [LegendItem(key=line.key, label=line.label,
                       colour=SERIES_COLOURS[position % len(SERIES_COLOURS)])
            for position, line in enumerate(series)]


def bar_chart(
    *,
    categories: Sequence[str],
    series: Sequence[Series],
    maximum: float,
    tick_text: Callable[[float], str] = _number,
    width: int = 720,
    height: int = 260,
    steps: int = 4,
) -> BarChart:
    """Grouped vertical bars on a value axis from 0 to ``maximum``, with a grid line at each
    of its ``steps`` steps."""
    plot_width = width - _LEFT - _RIGHT
    slot = plot_width / max(len(categories), 1)
    bar_width = min(36.0, slot * 0.8 / max(len(series), 1))
    longest = max((len(text) for line in series for text in line.texts), default=0)
    upwards = longest * VALUE_CHAR_WIDTH > bar_width - 2
    top_margin = _TOP_UPWARDS if upwards else _TOP
    plot_height = height - top_margin - _BOTTOM
    baseline = top_margin + plot_height
    bars, values, labels = [], [], []
    for index, category in enumerate(categories):
        group_left = _LEFT + index * slot + (slot - bar_width * len(series)) / 2
        for position, line in enumerate(series):
            value = line.values[index]
            x = round(group_left + position * bar_width, 1)
            middle = round(x + (bar_width - 4) / 2, 1)
            if value is None:
                values.append(ChartText(x=middle, y=round(baseline - 4, 1),
                                        text=line.texts[index] or "—"))
                continue
            bar_height = max(round(plot_height * _share(value, maximum), 1), ZERO_BAR)
            top = round(baseline - bar_height, 1)
            bars.append(Bar(x=x, y=top, width=round(bar_width - 4, 1), height=bar_height,
                            colour=SERIES_COLOURS[position % len(SERIES_COLOURS)],
                            title=line.titles[index]))
            values.append(ChartText(x=middle, y=round(top - 4, 1), text=line.texts[index],
                                    rotate=upwards))
        labels.append(ChartText(x=round(_LEFT + index * slot + slot / 2, 1),
                                y=height - _BOTTOM + 16, text=category))
    grid = []
    for step in range(steps + 1):
        y = round(top_margin + plot_height * (1 - step / steps), 1)
        grid.append(GridLine(x1=_LEFT, y1=y, x2=width - _RIGHT, y2=y, label=ChartText(
            x=_LEFT - 6, y=y, text=tick_text(maximum * step / steps), anchor="end")))
    return BarChart(width=width, height=height, bars=bars, values=values, categories=labels,
                    grid=grid, legend=_legend(series), baseline=baseline)


# Horizontal bars: the names on the left, the values to the right of their bars.
_ROW, _BAR_THICKNESS, _H_TOP, _H_BOTTOM, _H_RIGHT = 30, 18, 8, 24, 40


def horizontal_bar_chart(
    *,
    categories: Sequence[str],
    series: Series,
    maximum: float,
    tick_text: Callable[[float], str] = _number,
    width: int = 420,
    label_width: int = 124,
    wrap: int = 18,
) -> BarChart:
    """One bar per named category, left to right on a value axis from 0 to ``maximum``."""
    height = _H_TOP + _ROW * len(categories) + _H_BOTTOM
    left = label_width
    plot_width = width - left - _H_RIGHT
    bars, values, labels = [], [], []
    for index, category in enumerate(categories):
        middle = _H_TOP + index * _ROW + _ROW / 2
        lines = _lines(category, wrap)
        labels.append(ChartText(x=left - 8, y=round(middle - (6 if lines else 0), 1),
                                text=category, lines=lines, anchor="end"))
        value = series.values[index]
        if value is None:
            values.append(ChartText(x=left + 6, y=round(middle, 1),
                                    text=series.texts[index] or "—", anchor="start"))
            continue
        length = max(round(plot_width * _share(value, maximum), 1), ZERO_BAR)
        bars.append(Bar(x=left, y=round(middle - _BAR_THICKNESS / 2, 1), width=length,
                        height=_BAR_THICKNESS, colour=SERIES_COLOURS[0],
                        title=series.titles[index]))
        values.append(ChartText(x=round(left + length + 5, 1), y=round(middle, 1),
                                text=series.texts[index], anchor="start"))
    grid = []
    bottom = _H_TOP + _ROW * len(categories)
    for step in range(5):
        x = round(left + plot_width * step / 4, 1)
        grid.append(GridLine(x1=x, y1=_H_TOP, x2=x, y2=bottom, label=ChartText(
            x=x, y=bottom + 15, text=tick_text(maximum * step / 4))))
    return BarChart(width=width, height=height, bars=bars, values=values, categories=labels,
                    grid=grid, legend=_legend([series]), baseline=left)
