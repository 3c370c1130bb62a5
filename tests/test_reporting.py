import jinja2
import pytest

from execrl.reporting.figures import pass_rate_bars
from execrl.reporting.html import render_report


def test_bar_figure_is_inline_svg_and_deterministic():
    args = (["canonical", "wrong"], [1.0, 0.0], ["164/164", "0/164"], "pass rate")
    svg = pass_rate_bars(*args)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "100.0% (164/164)" in svg and "0.0% (0/164)" in svg
    assert pass_rate_bars(*args) == svg


def test_template_renders_escaped_values(tmp_path):
    (tmp_path / "index.html.j2").write_text("<p>{{ name }} {{ rate | percent }}</p>")
    assert render_report(tmp_path, {"name": "<b>", "rate": 0.1234}) == "<p>&lt;b&gt; 12.3%</p>"


def test_missing_template_variable_is_an_error(tmp_path):
    (tmp_path / "index.html.j2").write_text("{{ missing }}")
    with pytest.raises(jinja2.UndefinedError):
        render_report(tmp_path, {})
