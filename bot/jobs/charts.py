"""The chart in staff digests: new concerns per week and category over the last 8 weeks."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no screen; must come before pyplot

import matplotlib.pyplot as plt


def weekly_category_chart(counts: dict[str, list[int]], names: dict[str, str], title: str) -> bytes:
    """A stacked bar chart as PNG bytes; oldest week on the left."""
    weeks = len(next(iter(counts.values())))
    figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
    try:
        bottom = [0] * weeks
        labels = [f"-{weeks - i - 1}" if i < weeks - 1 else "0" for i in range(weeks)]
        for category, series in sorted(counts.items(), key=lambda kv: -sum(kv[1])):
            axes.bar(labels, series, bottom=bottom, label=names.get(category, category))
            bottom = [b + s for b, s in zip(bottom, series, strict=True)]
        axes.set_title(title)
        axes.set_ylabel("#")
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
