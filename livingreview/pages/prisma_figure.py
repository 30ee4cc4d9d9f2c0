"""The PRISMA 2020 flow diagram of the search record: boxes laid out in inches, what leaves
the flow at each step beside the main column, the stages banded at the left."""

from __future__ import annotations

import textwrap
from collections import Counter

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

from ..search.prisma import METHOD_LABELS, flow_description
from .plotting import _axes, describe

PRISMA_LINE = 0.2  # inches per line of text in a PRISMA box
PRISMA_STAGE_COLOUR = "#c6dbef"
# Points: 10 CSS px when the 8-inch figure is shown at its narrowest (display.FIGURE_NARROW_PX).
PRISMA_FONT = 10.5


def _prisma_box(ax, x0: float, x1: float, top: float, lines: list[str], bold_first: bool = True) -> tuple[float, float]:
    """A box from ``top`` down holding ``lines`` (the first in bold); returns its (top, bottom)."""
    height = len(lines) * PRISMA_LINE + 0.16
    bottom = top - height
    ax.add_patch(FancyBboxPatch((x0, bottom), x1 - x0, height, boxstyle="round,pad=0,rounding_size=0.05",
                                facecolor="white", edgecolor="#08519c", linewidth=1.1))
    for i, line in enumerate(lines):
        ax.text(x0 + 0.1, top - 0.08 - (i + 0.5) * PRISMA_LINE, line, ha="left", va="center", fontsize=PRISMA_FONT,
                fontweight="bold" if (i == 0 and bold_first) else "normal")
    return top, bottom


def plot_prisma_flow(flow, ax=None, wrap: int = 40):
    """A PRISMA 2020 flow diagram of one :class:`livingreview.search.prisma.Flow`: the main boxes
    down the left (identified, screened, sought, assessed, included) and what leaves the flow
    at each step on the right, stage bands at the far left. Sizes are in inches, so the axes
    must span the figure (:func:`prisma_flow_figure` makes such a figure)."""
    ax = _axes(ax)
    ax.set_axis_off()

    def lines(head: str, items: list[tuple[str, int]] | None = None) -> list[str]:
        out = textwrap.wrap(head, wrap)
        for label, n in items or []:
            out += textwrap.wrap(f"{label}: {n}", wrap, initial_indent="  ", subsequent_indent="    ")
        return out

    # By method here; the methods page's table names every source.
    identified = [(label, flow.identified_by_method.get(method, "none run yet" if method == "database" else 0))
                  for method, label in METHOD_LABELS.items()
                  if method in flow.identified_by_method or method == "database"]
    screened_side = [("Awaiting screening", flow.awaiting_screening)] if flow.awaiting_screening else []
    sought_side = [("Awaiting assessment", flow.awaiting_assessment)] if flow.awaiting_assessment else []
    included_head = ("New studies included in this update" if not flow.is_cumulative else "Studies included in review")
    included = lines(f"{included_head} (n = {len(flow.studies_new)})",
                     [("Reports of included studies", flow.reports_included)]
                     + ([("Studies included to date", len(flow.studies_total))] if not flow.is_cumulative else []))
    rows = [
        ("Identification", lines(f"Records identified (n = {flow.identified_total})", identified),
         lines(f"Duplicate records removed before screening (n = {flow.duplicates})")),
        ("Screening", lines(f"Records screened (n = {flow.screened})"),
         lines(f"Records excluded at title and abstract (n = {flow.excluded_screening})", screened_side)),
        ("Screening", lines(f"Reports sought for retrieval (n = {flow.sought})"),
         lines(f"Reports not retrieved (n = {flow.not_retrieved})", sought_side)),
        ("Screening", lines(f"Reports assessed for eligibility (n = {flow.assessed})"),
         lines(f"Reports excluded (n = {flow.excluded_reports_total})", list(flow.excluded_reports.items()))),
        ("Included", included, []),
    ]
    main_x, side_x = (0.55, 4.15), (4.55, 8.0)
    gap = 0.32
    top = 0.0
    spans: dict[str, list[float]] = {}
    previous_bottom = None
    stage_rows = Counter(stage for stage, _, _ in rows)
    for stage, main, side in rows:
        height = max(len(main), len(side)) * PRISMA_LINE + 0.16
        if stage_rows[stage] == 1:  # a stage of one row is tall enough for its band's label
            height = max(height, len(stage) * PRISMA_FONT * 0.62 / 72 + 0.2)
        box_top, box_bottom = _prisma_box(ax, *main_x, top - (height - len(main) * PRISMA_LINE - 0.16) / 2, main)
        middle = (box_top + box_bottom) / 2
        if side:
            side_height = len(side) * PRISMA_LINE + 0.16
            _prisma_box(ax, *side_x, middle + side_height / 2, side, bold_first=False)
            ax.annotate("", xy=(side_x[0], middle), xytext=(main_x[1], middle),
                        arrowprops={"arrowstyle": "-|>", "color": "#444", "linewidth": 1})
        if previous_bottom is not None:
            x = (main_x[0] + main_x[1]) / 2
            ax.annotate("", xy=(x, box_top), xytext=(x, previous_bottom),
                        arrowprops={"arrowstyle": "-|>", "color": "#444", "linewidth": 1})
        previous_bottom = box_bottom
        span = spans.setdefault(stage, [top, top - height])
        span[1] = top - height
        top -= height + gap
    for stage, (start, end) in spans.items():
        ax.add_patch(FancyBboxPatch(
            (0.02, end), 0.36, start - end, boxstyle="round,pad=0,rounding_size=0.05",
            facecolor=PRISMA_STAGE_COLOUR, edgecolor="none"))
        ax.text(0.2, (start + end) / 2, stage, rotation=90, ha="center", va="center", fontweight="bold",
                fontsize=PRISMA_FONT)
    ax.set_xlim(0, 8.0)
    ax.set_ylim(top + gap - 0.05, 0.05)
    return ax


def prisma_flow_figure(flow):
    """The PRISMA 2020 flow diagram of ``flow`` as a figure 8 inches wide whose height follows
    its boxes, titled with the update and described (alt text) box by box."""
    fig = plt.figure(figsize=(8, 1))
    ax = fig.add_axes((0, 0, 1, 1))
    plot_prisma_flow(flow, ax=ax)
    # The diagram is laid out in inches: size the figure to it, with room for the title above.
    bottom, top = ax.get_ylim()
    height = (top - bottom) + 0.45
    fig.set_size_inches(8, height)
    ax.set_position((0, 0, 1, (top - bottom) / height))
    title = flow.label + (f": searches of {flow.dates}" if flow.dates else "")
    fig.text(0.01, 1 - 0.1 / height, title, ha="left", va="top", fontweight="bold", fontsize=PRISMA_FONT + 1)
    return describe(fig, flow_description(flow))
