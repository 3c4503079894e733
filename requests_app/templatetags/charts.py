"""``{% bar_chart chart "chart-id" title desc %}``: a chart of ``requests_app.charts`` as SVG,
built in Python (a chart has a hundred texts and bars; through a template each would cost an
include). Every value is escaped. Colours are SVG attributes, never an inline style (CSP).

The SVG is named by its title and described by its desc; each bar has its tooltip; the page
shows the same figures in a table. A wide chart keeps a readable size on a phone and scrolls
sideways in a focusable region.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from requests_app.charts import BarChart, ChartText
from requests_app.templatetags.row_html import escaped as _e

register = template.Library()

_GRID, _TEXT, _VALUE = "#d1d5db", "#374151", "#1f2937"  # texts 10.3:1 and 14.7:1 on white
WIDE = 480


def _text(item: ChartText, fill: str, css: str = "", size: int = 11) -> str:
    x, y = _e(item.x), _e(item.y)
    attrs = f' class="{css}"' if css else ""
    if item.rotate:
        attrs += (f' transform="rotate(-90 {x} {y})" text-anchor="start"'
                  ' dominant-baseline="central"')
    else:
        attrs += f' text-anchor="{_e(item.anchor)}"'
        if item.anchor != "middle":
            attrs += ' dominant-baseline="central"'
    if item.lines:
        body = "".join(f'<tspan x="{x}" dy="{0 if index == 0 else 13}">{_e(line)}</tspan>'
                       for index, line in enumerate(item.lines))
    else:
        body = _e(item.text)
    return f'<text x="{x}" y="{y}"{attrs} font-size="{size}" fill="{fill}">{body}</text>'


def chart_svg(chart: BarChart, chart_id: str, title: str, desc: str) -> str:
    parts = [
        f'<div class="spt-chart-wrap{" spt-chart-wide" if chart.width > WIDE else ""}" '
        f'role="region" aria-label="{_e(title)}" tabindex="0">'
        f'<svg class="spt-chart" viewBox="0 0 {chart.width} {chart.height}" role="img" '
        f'aria-labelledby="{_e(chart_id)}-title" aria-describedby="{_e(chart_id)}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>'
        f'<desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>'
    ]
    for line in chart.grid:
        parts.append(f'<line x1="{line.x1}" x2="{line.x2}" y1="{line.y1}" y2="{line.y2}" '
                     f'stroke="{_GRID}"/>')
        parts.append(_text(line.label, _TEXT))
    for bar in chart.bars:
        parts.append(f'<rect x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}" '
                     f'fill="{_e(bar.colour)}"><title>{_e(bar.title)}</title></rect>')
    parts.extend(_text(value, _VALUE, "spt-chart-value", 10) for value in chart.values)
    parts.extend(_text(label, _TEXT) for label in chart.categories)
    parts.append("</svg></div>")
    if len(chart.legend) > 1:
        items = "".join(
            f'<li><svg class="spt-chart-swatch" viewBox="0 0 10 10" aria-hidden="true" '
            f'focusable="false"><rect width="10" height="10" rx="2" fill="{_e(item.colour)}"/>'
            f"</svg>{_e(item.label)}</li>" for item in chart.legend)
        parts.append(f'<ul class="spt-chart-legend" aria-label="{_e(_("Légende"))}">{items}</ul>')
    return "".join(parts)


@register.simple_tag
def bar_chart(chart: BarChart, chart_id: str, title: str, desc: str) -> SafeString:
    return mark_safe(chart_svg(chart, chart_id, title, desc))  # noqa: S308 - escaped above
