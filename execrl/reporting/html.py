"""Render the report's Jinja2 templates into one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2


def render_report(template_dir: str | Path, context: dict[str, Any], template: str = "index.html.j2") -> str:
    """Render ``template`` from ``template_dir``; a variable missing from ``context`` is an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["percent"] = lambda value, digits=1: f"{value:.{digits}%}"
    env.filters["gain"] = format_gain
    env.filters["estimate"] = format_estimate
    return env.get_template(template).render(**context)


def format_gain(row: dict[str, float]) -> str:
    """A gain in percentage points with its interval: ``+1.2 pp [-0.3, +2.7]`` (no interval for one seed)."""
    text = f"{100 * row['gain']:+.1f} pp"
    low, high = row["gain_low"], row["gain_high"]
    if low == low and high == high:  # not NaN
        text += f" [{100 * low:+.1f}, {100 * high:+.1f}]"
    return text


def format_estimate(row: dict[str, Any], key: str = "value", percent: bool = True) -> str:
    """A value with its interval from ``low`` and ``high``: ``41.2% [35.0%, 47.1%]`` or ``0.713 [0.65, 0.771]``
    (three significant digits); an em dash for NaN, and no interval where its bounds are NaN."""
    def fmt(value: float) -> str:
        return f"{value:.1%}" if percent else f"{value:.3g}"

    value, low, high = row[key], row["low"], row["high"]
    if value != value:
        return "\u2014"
    text = fmt(value)
    if low == low and high == high:
        text += f" [{fmt(low)}, {fmt(high)}]"
    return text
