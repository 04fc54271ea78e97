"""The 14-day glucose chart as inline SVG, drawn on the server (no script, no image file).

Nothing is told by colour alone: the target band is a grey band with labelled edges, and each reading's level
is its marker's shape (circle in target, triangle down below, triangle up above). The SVG is one image with an
accessible name and description; the readings table under it carries every value for screen readers.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, tzinfo
from html import escape

from voice_assistant.hub.i18n import Words
from voice_assistant.hub.summary import SEVERE_BELOW, TARGET_HIGH, TARGET_LOW, ReadingView

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44
INK = "#1a1a1a"
LINE = "#1f4e79"
LOW = "#a50021"
HIGH = "#7a4100"
BAND = "#e3e3e3"
GRID = "#c8c8c8"
AXIS_FLOOR, AXIS_CEILING = 0.0, 650.0


def level_key(mg_dl: float) -> str:
    if mg_dl < SEVERE_BELOW:
        return "level_severe"
    if mg_dl < TARGET_LOW:
        return "level_low"
    if mg_dl <= TARGET_HIGH:
        return "level_in"
    return "level_high"


def _marker(x: float, y: float, mg_dl: float, label: str) -> str:
    title = f"<title>{escape(label)}</title>"
    if mg_dl < TARGET_LOW:  # triangle pointing down
        points = f"{x - 7:.1f},{y - 5:.1f} {x + 7:.1f},{y - 5:.1f} {x:.1f},{y + 7:.1f}"
        return f'<polygon class="low" points="{points}" fill="{LOW}" stroke="{INK}" stroke-width="1">{title}</polygon>'
    if mg_dl > TARGET_HIGH:  # triangle pointing up
        points = f"{x - 7:.1f},{y + 5:.1f} {x + 7:.1f},{y + 5:.1f} {x:.1f},{y - 7:.1f}"
        return f'<polygon class="high" points="{points}" fill="{HIGH}" stroke="{INK}" stroke-width="1">{title}</polygon>'
    return f'<circle class="in" cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{LINE}" stroke="{INK}" stroke-width="1">{title}</circle>'


def glucose_svg(readings: list[ReadingView], start: datetime, end: datetime, local: tzinfo, words: Words,
                days: int, ident: str = "glucose-chart") -> str:
    values = [r.mg_dl for r in readings if math.isfinite(r.mg_dl)]
    # The axis is clamped: whatever a stored row holds, the chart stays 0-650 mg/dL at most (a value beyond
    # sits on the edge; its label and the table give it as stored).
    y_min = max(AXIS_FLOOR, min([40.0] + [math.floor(v / 10) * 10 - 10 for v in values]))
    y_max = min(AXIS_CEILING, max([300.0] + [math.ceil(v / 50) * 50 + 20 for v in values]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = (end - start).total_seconds()

    def x_of(moment: datetime) -> float:
        return LEFT + plot_w * max(0.0, min(1.0, (moment - start).total_seconds() / span))

    def y_of(value: float) -> float:
        value = max(y_min, min(y_max, value))
        return TOP + plot_h * (1 - (value - y_min) / (y_max - y_min))

    severe, low, in_range, high = (sum(1 for v in values if v < SEVERE_BELOW),
                                   sum(1 for v in values if SEVERE_BELOW <= v < TARGET_LOW),
                                   sum(1 for v in values if TARGET_LOW <= v <= TARGET_HIGH),
                                   sum(1 for v in values if v > TARGET_HIGH))
    name = words("chart_name", days=days, lo=TARGET_LOW, hi=TARGET_HIGH)
    if values:
        desc = words("chart_desc", n=len(values), inr=in_range, lo=TARGET_LOW, hi=TARGET_HIGH, low=low,
                     sev=SEVERE_BELOW, lo_1=TARGET_LOW - 1, severe=severe, high=high) + " " + \
            words("chart_minmax", min=words.number(min(values)), max=words.number(max(values)))
    else:
        desc = words("chart_none", days=days)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{ident}" class="chart" role="img" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" '
           f'aria-labelledby="{ident}-title {ident}-desc" focusable="false">',
           f'<title id="{ident}-title">{escape(name)}</title>',
           f'<desc id="{ident}-desc">{escape(desc)}</desc>',
           f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#ffffff" stroke="{INK}"/>']
    # target band with labelled edges
    band_top, band_bottom = y_of(TARGET_HIGH), y_of(TARGET_LOW)
    out.append(f'<rect class="band" x="{LEFT}" y="{band_top:.1f}" width="{plot_w}" '
               f'height="{band_bottom - band_top:.1f}" fill="{BAND}"/>')
    # horizontal grid and value labels
    step = 50
    for value in range(int(math.ceil(y_min / step) * step), int(y_max) + 1, step):
        y = y_of(value)
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
                   f'stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" fill="{INK}">{value}</text>')
    for value, dash, below in ((TARGET_LOW, "6 3", False), (TARGET_HIGH, "6 3", False), (SEVERE_BELOW, "2 3", True)):
        y = y_of(value)
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{INK}" '
                   f'stroke-width="1.5" stroke-dasharray="{dash}"/>')
        label_y = y + 14 if below else y - 4  # 54 under its line, so it never sits on 70's label
        out.append(f'<text x="{LEFT + plot_w - 4}" y="{label_y:.1f}" text-anchor="end" font-size="12" '
                   f'font-weight="bold" fill="{INK}">{value}</text>')
    # day ticks at local midnight
    day = start.astimezone(local).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    index = 0
    while day < end:
        x = x_of(day)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 5}" stroke="{INK}"/>')
        if index % 2 == 0:
            out.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 20}" text-anchor="middle" font-size="12" '
                       f'fill="{INK}">{escape(words.day(day))}</text>')
        day += timedelta(days=1)
        index += 1
    out.append(f'<text x="14" y="{TOP + plot_h / 2:.1f}" font-size="12" fill="{INK}" text-anchor="middle" '
               f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">mg/dL</text>')
    # the readings: a line in time order, then the markers on top
    points = [(x_of(r.at), y_of(r.mg_dl), r) for r in sorted(readings, key=lambda r: r.at)
              if start <= r.at <= end and math.isfinite(r.mg_dl)]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for x, y, reading in points:
        label = f"{words.when(reading.at)}: {words.number(reading.mg_dl)} mg/dL ({words(level_key(reading.mg_dl))})"
        out.append(_marker(x, y, reading.mg_dl, label))
    out.append("</svg>")
    return "\n".join(out)
