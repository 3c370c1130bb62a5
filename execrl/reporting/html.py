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
    return env.get_template(template).render(**context)
