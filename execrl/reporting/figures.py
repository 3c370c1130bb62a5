"""Matplotlib figures rendered to inline SVG, byte-identical for identical data."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Okabe & Ito's colour-blind-safe palette.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
STYLE = {
    "svg.hashsalt": "execrl",  # stable element ids, so equal figures give equal bytes
    "svg.fonttype": "none",  # keep text as text: smaller and searchable
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# Without a date or an RDF block the SVG is byte-stable and names no external namespace but SVG's.
NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def to_svg(fig: plt.Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata=NO_METADATA)
    plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # drop the XML prolog and DOCTYPE: the SVG is inlined in HTML


def bar_chart(
    labels: Sequence[str], values: Sequence[float], annotations: Sequence[str], xlabel: str, title: str,
    percent: bool = False,
) -> str:
    """Horizontal bars, one per label, each annotated (e.g. ``164/164``); ``percent`` for rates in [0, 1]."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.45 * len(labels)))
        y = range(len(labels))
        ax.barh(y, values, color=[PALETTE[i % len(PALETTE)] for i in y])
        top = 1.0 if percent else max(values, default=1.0) or 1.0
        for i, (value, note) in enumerate(zip(values, annotations)):
            ax.text(value + 0.01 * top, i, note, va="center")
        ax.set_yticks(list(y), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.3)
        if percent:
            ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
            ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left")
        return to_svg(fig)
