import jinja2
import pytest

from execrl.reporting.figures import bar_chart
from execrl.reporting.html import render_report


def test_bar_figure_is_inline_svg_and_deterministic():
    args = (["canonical", "wrong"], [1.0, 0.0], ["164/164", "0/164"], "pass rate", "title")
    svg = bar_chart(*args, percent=True)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "164/164" in svg and "0/164" in svg and "canonical" in svg
    assert bar_chart(*args, percent=True) == svg
    assert "metadata" not in svg and "purl.org" not in svg


def test_template_renders_escaped_values(tmp_path):
    (tmp_path / "index.html.j2").write_text("<p>{{ name }} {{ rate | percent }}</p>")
    assert render_report(tmp_path, {"name": "<b>", "rate": 0.1234}) == "<p>&lt;b&gt; 12.3%</p>"


def test_missing_template_variable_is_an_error(tmp_path):
    (tmp_path / "index.html.j2").write_text("{{ missing }}")
    with pytest.raises(jinja2.UndefinedError):
        render_report(tmp_path, {})


def test_gains_are_shown_in_points_with_their_interval():
    from execrl.reporting.html import format_gain

    assert format_gain({"gain": 0.012, "gain_low": -0.003, "gain_high": 0.027}) == "+1.2 pp [-0.3, +2.7]"
    assert format_gain({"gain": -0.05, "gain_low": float("nan"), "gain_high": float("nan")}) == "-5.0 pp"
