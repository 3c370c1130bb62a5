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


def pass_rate_bars(labels: Sequence[str], rates: Sequence[float], counts: Sequence[str], title: str) -> str:
    """Horizontal bars of pass rates in [0, 1], each annotated with its count (e.g. ``164/164``)."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6, 0.6 + 0.5 * len(labels)))
        y = range(len(labels))
        ax.barh(y, rates, color=[PALETTE[i % len(PALETTE)] for i in y])
        for i, (rate, count) in enumerate(zip(rates, counts)):
            ax.text(min(rate, 1.0) + 0.01, i, f"{rate:.1%} ({count})", va="center")
        ax.set_yticks(list(y), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.25)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_xlabel("pass rate")
        ax.set_title(title, loc="left")
        return to_svg(fig)
