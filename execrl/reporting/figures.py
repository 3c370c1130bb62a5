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


Interval = tuple[Sequence[float], Sequence[float], Sequence[float]]  # values, lows, highs
Line = tuple[Sequence[float], Sequence[float], Sequence[float], Sequence[float]]  # x, y, lows, highs


def interval_chart(labels: Sequence[str], series: dict[str, Interval], xlabel: str, title: str,
                   reference: float | None = None) -> str:
    """One row per label, one dot with its interval per series (offset within the row); an optional
    dashed reference line (e.g. chance at AUC 0.5, or no overestimation at 0)."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.5, 0.8 + 0.35 * len(labels) * max(1, len(series)) ** 0.5))
        width = 0.7 / max(1, len(series))
        for i, (name, (values, lows, highs)) in enumerate(series.items()):
            y = [row + (i - (len(series) - 1) / 2) * width for row in range(len(labels))]
            errors = [[max(0.0, v - lo) for v, lo in zip(values, lows)], [max(0.0, hi - v) for v, hi in zip(values, highs)]]
            ax.errorbar(values, y, xerr=errors, fmt="o", color=PALETTE[i % len(PALETTE)], label=name, capsize=2, ms=4)
        if reference is not None:
            ax.axvline(reference, color="#777777", linestyle="--", linewidth=0.8)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left")
        if len(series) > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
        return to_svg(fig)


def line_panels(panels: Sequence[tuple[str, str, dict[str, Line]]], ylabel: str, percent: bool = True) -> str:
    """Side-by-side panels (title, x label, named lines), each line with its interval as a band;
    a name keeps its colour across panels."""
    names = list(dict.fromkeys(name for _, _, lines in panels for name in lines))
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels) + 1.5, 3.2), sharey=True, squeeze=False)
        for ax, (title, xlabel, lines) in zip(axes[0], panels):
            for name, (x, y, lows, highs) in lines.items():
                ax.plot(x, y, marker="o", ms=3, color=colours[name], label=name)
                ax.fill_between(x, lows, highs, color=colours[name], alpha=0.18, linewidth=0)
            ax.set_title(title, loc="left")
            ax.set_xlabel(xlabel)
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
            if percent:
                ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        axes[0][0].set_ylabel(ylabel)
        handles, labels = axes[0][0].get_legend_handles_labels()
        for ax in axes[0][1:]:
            for handle, label in zip(*ax.get_legend_handles_labels()):
                if label not in labels:
                    handles.append(handle)
                    labels.append(label)
        fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 0.95), frameon=False, fontsize=8)
        fig.tight_layout()
        return to_svg(fig)
