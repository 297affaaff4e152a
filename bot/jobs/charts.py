"""The chart in staff digests: "are we keeping up?" — per calendar week the new concerns beside
the fixed and the closed ones, the open backlog as a line, and today's overdue concerns marked."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no screen; must come before pyplot

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator


@dataclass(frozen=True)
class ChartWeek:
    label: str  # e.g. "KW 49"
    new: int
    fixed: int
    closed: int
    backlog: int


@dataclass(frozen=True)
class ChartTexts:
    """Every word on the chart, in the recipient's language."""

    title: str
    new: str
    fixed: str
    closed: str
    backlog: str
    overdue: str  # e.g. "überfällig heute: {n}" already filled in
    axis: str  # what the y-axis counts


NEW_COLOUR, FIXED_COLOUR, CLOSED_COLOUR = "#4C78A8", "#54A24B", "#BAB0AC"
BACKLOG_COLOUR, OVERDUE_COLOUR = "#222222", "#E45756"


def keeping_up_chart(weeks: Sequence[ChartWeek], overdue: int, texts: ChartTexts) -> bytes:
    """Grouped bars (new, fixed, closed) per week and the backlog line; PNG bytes."""
    figure, axes = plt.subplots(figsize=(9, 4.6), dpi=110)
    try:
        positions = list(range(len(weeks)))
        width = 0.27
        series = (
            ([w.new for w in weeks], texts.new, NEW_COLOUR, -width),
            ([w.fixed for w in weeks], texts.fixed, FIXED_COLOUR, 0.0),
            ([w.closed for w in weeks], texts.closed, CLOSED_COLOUR, width),
        )
        for values, label, colour, shift in series:
            axes.bar([p + shift for p in positions], values, width, label=label, color=colour)
        backlog = [w.backlog for w in weeks]
        axes.plot(
            positions,
            backlog,
            color=BACKLOG_COLOUR,
            marker="o",
            linewidth=2,
            label=texts.backlog,
        )
        if weeks:
            axes.annotate(
                str(backlog[-1]),
                (positions[-1], backlog[-1]),
                textcoords="offset points",
                xytext=(8, 4),
                fontsize=9,
            )
        if overdue and weeks:
            # Overdue is known for today only: one mark at the last week, inside the backlog.
            axes.scatter(
                [positions[-1]],
                [overdue],
                marker="D",
                s=70,
                color=OVERDUE_COLOUR,
                zorder=5,
                label=texts.overdue,
            )
        axes.set_xticks(positions, [w.label for w in weeks])
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        top = max([1, overdue, *backlog, *(v for values, *_ in series for v in values)])
        axes.set_ylim(0, top * 1.15 + 0.5)
        axes.set_ylabel(texts.axis)
        axes.set_title(texts.title)
        axes.grid(axis="y", alpha=0.3)
        axes.spines[["top", "right"]].set_visible(False)
        handles, labels = axes.get_legend_handles_labels()
        wanted = [texts.new, texts.fixed, texts.closed, texts.backlog, texts.overdue]
        order = sorted(range(len(labels)), key=lambda i: wanted.index(labels[i]))
        axes.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.09),
            ncol=3,
            frameon=False,
            fontsize=9,
        )
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(figure)
