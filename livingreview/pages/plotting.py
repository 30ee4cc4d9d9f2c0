"""Plots for the pages. Each takes ``ax=None`` (draws on the current axes when not given)
and returns the axes; functions named ``*_figure`` lay out several axes and return the
figure. No function here shows or saves anything."""

from __future__ import annotations

import textwrap

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from ..statistics.bayes import CREDIBLE
from ..statistics.safety import ANY_GRADE, GRADE_3_PLUS, top_terms

BAND_COLOURS = {ANY_GRADE: "#9ecae1", GRADE_3_PLUS: "#08519c"}
# Vertical space per row of a forest plot or bar chart, in inches.
ROW_HEIGHT = 0.32


# Studies that are not in the main analyses are drawn in this grey, with a legend entry that
# says why (livingreview.curated.integrity); colour is never the only mark: their labels also say it.
LEFT_OUT_COLOUR = "#9e9e9e"
LEFT_OUT_LEGEND = "Grey: not in the main analyses"


def _axes(ax):
    return plt.gca() if ax is None else ax


def describe(fig, text: str):
    """Give a figure the description pages show as its alt text: what it shows and its key
    numbers, written from the data it was drawn from. Returns the figure."""
    fig.lr_description = " ".join(str(text).split())
    return fig


def _left_out(frame: pd.DataFrame) -> list[bool]:
    """Per row: whether it belongs to a study the main analyses leave out (a ``status`` column
    holds the study's badge, '' for the main analyses)."""
    if "status" not in frame:
        return [False] * len(frame)
    return [bool(v) and not pd.isna(v) for v in frame["status"]]


def grey_left_out_labels(ax, left_out: list[bool], axis: str = "y", legend_ax=None) -> None:
    """Grey the tick labels of rows that are not in the main analyses, and add a legend entry
    saying what grey means (only when there is such a row), in ``legend_ax`` when given."""
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    for tick, flag in zip(ticks, left_out):
        if flag:
            tick.set_color(LEFT_OUT_COLOUR)
            tick.set_fontstyle("italic")
    if any(left_out):
        handles, labels = ax.get_legend_handles_labels()
        old = ax.get_legend()
        if old is not None and not handles:
            handles, labels = list(old.legend_handles), [t.get_text() for t in old.get_texts()]
        handles.append(plt.Line2D([], [], marker="s", linestyle="", color=LEFT_OUT_COLOUR))
        labels.append(LEFT_OUT_LEGEND)
        if legend_ax is not None:
            figure = legend_ax.figure
            if not getattr(figure, "lr_grey_legend", False):  # one entry per figure, below its panels
                figure.legend(handles[-1:], labels[-1:], loc="outside lower left", frameon=False, fontsize=9)
                figure.lr_grey_legend = True
        else:
            ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(0, -0.18 if axis == "y" else -0.5),
                      frameon=False, fontsize=9)


def mark_figure(fig, note: str):
    """Write ``note`` (e.g. 'Excluded from the review's analyses') across the top of a figure of
    one study, in grey, so the figure says it even when seen alone."""
    if note:
        fig.text(0.99, 0.995, note, ha="right", va="top", fontsize=9, color=LEFT_OUT_COLOUR, style="italic")
    return fig


def figure_of(plot, *args, figsize: tuple[float, float], title: str = "", description: str = "", **kwargs):
    """A one-axes figure drawn by ``plot(*args, ax=ax, **kwargs)``, titled when ``title`` is
    given, laid out tight and described by ``description`` (its alt text); returns the figure."""
    fig, ax = plt.subplots(figsize=figsize)
    plot(*args, ax=ax, **kwargs)
    if title:
        ax.set_title(title, loc="left")
    fig.tight_layout()
    return describe(fig, description or title)


# Round ratios a forest plot's axis is labelled at: at least a factor of two apart, so that
# their labels never collide.
RATIO_TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
VALUE_COLUMN = 1.03  # where the estimate column starts, in axes widths from the left


def _right_column(ax, y: float, text: str, bold: bool = False, colour: str = "black", x: float = VALUE_COLUMN):
    """Text in a column right of a forest plot, on row ``y``: in ``ax`` itself at ``x`` axes
    widths, or, when ``ax`` is a forest's text axes (:func:`forest_layout`), at ``x - 1``."""
    if getattr(ax, "lr_text_axes", False):
        x -= 1
    transform = matplotlib.transforms.blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(x, y, text, transform=transform, ha="left", va="center", fontweight="bold" if bold else "normal",
            color=colour, clip_on=False)


def forest_layout(heights: list[float], width: float = 8.0):
    """A figure of forest panels stacked (one height each, in inches): each panel is a plotting
    axes with a text axes at its right for the estimate and weight columns, so the columns never
    overlap the plot whatever its width. Returns the figure and [(plot axes, text axes), ...]."""
    fig = plt.figure(figsize=(width, sum(heights)), layout="constrained")
    grid = fig.add_gridspec(len(heights), 2, width_ratios=[2.6, 2.0], height_ratios=heights)
    pairs = []
    for i in range(len(heights)):
        ax, text = fig.add_subplot(grid[i, 0]), fig.add_subplot(grid[i, 1])
        text.set_axis_off()
        text.lr_text_axes = True
        pairs.append((ax, text))
    return fig, pairs


def plot_forest(frame: pd.DataFrame, ax=None, label: str = "label", estimate: str = "estimate",
                low: str = "ci_low", high: str = "ci_high", reference: float = 1.0,
                xlabel: str = "Hazard ratio (log scale)", value_header: str = "Ratio (95% CI)", text_ax=None):
    """Forest plot of ratios in the field's layout: labels at left, squares and CI lines on a
    log axis with the null line, and each estimate with its CI as text at right (in
    ``text_ax`` when given); first row at the top. Rows of studies not in the main analyses
    are grey."""
    ax = _axes(ax)
    column = ax if text_ax is None else text_ax
    n = len(frame)
    y = np.arange(n)[::-1]
    est, lo, hi = (frame[c].to_numpy(dtype=float) for c in (estimate, low, high))
    left_out = _left_out(frame)
    colours = [LEFT_OUT_COLOUR if flag else "#08519c" for flag in left_out]
    # A CI that does not contain its estimate is drawn as printed; the error bar is then
    # drawn from the interval itself, not as +/- offsets that would go negative.
    ax.hlines(y, lo, hi, color=[LEFT_OUT_COLOUR if flag else "black" for flag in left_out], linewidth=1.2)
    ax.scatter(est, y, marker="s", color=colours, s=36, zorder=3)
    ax.axvline(reference, color="#444", linewidth=0.9)
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels([textwrap.shorten(str(t), 44) for t in frame[label]])
    ax.tick_params(axis="y", length=0)
    for row, (e, a, b, grey) in zip(y, zip(est, lo, hi, left_out)):
        _right_column(column, row, f"{e:.2f} ({a:.2f}–{b:.2f})", colour=LEFT_OUT_COLOUR if grey else "black")
    _right_column(column, n - 0.2, value_header, bold=True)
    grey_left_out_labels(ax, left_out, legend_ax=text_ax)
    ax.set_ylim(-0.7, n + 0.2)
    column.set_ylim(-0.7, n + 0.2)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(xlabel)
    finite = np.concatenate([lo, hi, est])
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size:
        left, right = min(finite.min(), reference) / 1.25, max(finite.max(), reference) * 1.25
        ax.set_xlim(left, right)
        # Plain numbers at round ratios; matplotlib's default log labels (4x10^-1) collide.
        ticks = [t for t in RATIO_TICKS if left <= t <= right]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_locator(FixedLocator([]))
        ax.xaxis.set_minor_formatter(NullFormatter())
    return ax


def subgroup_forest_figure(ratios: pd.DataFrame):
    """One forest plot per (endpoint, analysis, population) group, stacked; returns the figure."""
    groups = list(ratios.groupby(["endpoint", "analysis", "population"], sort=True))
    heights = [max(len(g), 1) * 0.38 + 1.3 for _, g in groups]
    fig, pairs = forest_layout(heights)
    for (ax, text_ax), ((endpoint, analysis, population), group) in zip(pairs, groups):
        plot_forest(group.reset_index(drop=True), ax=ax, xlabel="Hazard ratio (log scale; below 1: lower hazard)",
                    value_header="HR (95% CI)", text_ax=text_ax)
        ax.set_title(f"{endpoint}: {analysis} hazard ratios ({population})", loc="left")
    return describe(fig, "Forest plots of the hazard ratios the paper prints for subgroups and models: " + "; ".join(
        f"{endpoint} {analysis} ({population}): " + ", ".join(
            f"{r['label']} {r['estimate']:g} ({r['ci_low']:g}–{r['ci_high']:g})" for r in group.to_dict("records"))
        for (endpoint, analysis, population), group in groups) + ".")


def plot_ae_rates(rates: pd.DataFrame, terms: list[str] | None = None, ax=None):
    """Horizontal bars of AE rates (%) per term, any grade beside grade >= 3."""
    ax = _axes(ax)
    terms = top_terms(rates) if terms is None else terms
    shown = rates[rates["term"].isin(terms)].copy()
    shown["term"] = pd.Categorical(shown["term"], categories=terms, ordered=True)
    sns.barplot(data=shown, y="term", x="percent", hue="band", hue_order=list(BAND_COLOURS),
                palette=BAND_COLOURS, orient="h", ax=ax, errorbar=None)
    ax.set_xlabel("Patients with the event (%)")
    ax.set_ylabel("")
    ax.set_xlim(0, 100)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(title="", loc="lower right", frameon=False)
    return ax


def ae_rate_figure(rates: pd.DataFrame, arm_labels: dict[str, str], n_terms: int = 15):
    """One AE bar chart per arm, sharing the term order; returns the figure."""
    present = set(rates.loc[rates["group"] != "any", "arm"])
    # Whole-study ("all") rows are drawn only when no arm has its own.
    arms = [a for a in arm_labels if a in present] or sorted(present)
    terms = top_terms(rates, n_terms)
    fig, axes = plt.subplots(len(arms), 1, figsize=(8, len(arms) * (len(terms) * 0.36 + 1.3)),
                             sharex=True, squeeze=False)
    for ax, arm in zip(axes[:, 0], arms):
        plot_ae_rates(rates[rates["arm"] == arm], terms, ax=ax)
        ax.set_title(textwrap.shorten(arm_labels.get(arm, arm), 60), loc="left")
    fig.tight_layout()
    parts = []
    for arm in arms:
        own = rates[(rates["arm"] == arm) & rates["term"].isin(terms)]
        # The description names the band each rate counts (a grade 3-4 rate is not called grade >= 3).
        counted = "band_counted" if "band_counted" in own else "band"
        shown = own.pivot_table(index="term", columns=counted, values="percent", aggfunc="max").reindex(terms[:6])
        parts.append(f"{arm_labels.get(arm, arm)}: " + "; ".join(
            f"{term} " + ", ".join(f"{band} {value:.1f}%" for band, value in row.dropna().items())
            for term, row in shown.dropna(how="all").iterrows()))
    return describe(fig, f"Bar charts of the {len(terms)} most frequent adverse events, any grade and grade ≥3, "
                         "per arm. " + ". ".join(parts) + ".")


def plot_study_flow(stages: list[tuple[str, list[tuple[str, int]]]], ax=None):
    """The included reports as rows of boxes, one row per stage, each box 'label (n = k)'.

    ``stages`` is a list of (stage title, [(box label, count), ...]) from top to bottom.
    """
    ax = _axes(ax)
    ax.set_axis_off()
    n_rows = len(stages)
    for r, (title, boxes) in enumerate(stages):
        y = n_rows - 1 - r
        ax.text(-0.02, y, textwrap.fill(title, 14), ha="right", va="center", fontsize=10,
                fontweight="bold")
        width = 1.0 / max(len(boxes), 1)
        # Narrower text when a stage has more boxes, so that neighbours never overlap.
        wrap = max(10, min(34, int(52 / max(len(boxes), 1))))
        for b, (label, count) in enumerate(boxes):
            x = (b + 0.5) * width
            ax.text(x, y, textwrap.fill(label, wrap) + f"\n(n = {count})", ha="center", va="center",
                    fontsize=10, bbox={"boxstyle": "round,pad=0.4", "facecolor": "#eff3ff",
                                        "edgecolor": "#08519c"})
    # No arrows: each row counts the same reports another way; it is not a flow.
    ax.set_xlim(-0.22, 1.0)
    ax.set_ylim(-0.6, n_rows - 0.4)
    return ax


RECONSTRUCTION_LABEL = "Reconstructed from published summaries, not patient records"


def plot_reconstructed_km(arms: list, labels: dict[str, str], ax=None, at_risk: bool = True):
    """Kaplan-Meier curves of reconstructed arms, printed medians and landmarks marked.

    ``arms`` are :class:`livingreview.statistics.reconstruct.ArmReconstruction`; the printed points are
    drawn as open markers (landmarks) and dotted lines (medians) so the reader can see how
    closely the reconstruction follows what was printed.
    """
    from lifelines.plotting import add_at_risk_counts

    from ..statistics.reconstruct import kaplan_meier

    ax = _axes(ax)
    fitters = []
    for arm in arms:
        fitter = kaplan_meier(arm.result.data, labels.get(arm.inputs.arm, arm.inputs.arm))
        fitter.plot_survival_function(ax=ax, ci_show=False, show_censors=True,
                                      censor_styles={"ms": 4, "marker": "|"})
        colour = ax.get_lines()[-1].get_color()
        printed = arm.inputs.printed
        for months, rate in printed.landmarks:
            ax.plot(months, rate / 100, "o", mfc="none", color=colour, markersize=7)
        if printed.median is not None:
            ax.plot([printed.median, printed.median], [0, 0.5], ":", color=colour, linewidth=1)
        fitters.append(fitter)
    ax.axhline(0.5, color="grey", linewidth=0.5, linestyle=":")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel("Months")
    ax.set_ylabel("Survival probability")
    ax.text(0.99, 0.98, RECONSTRUCTION_LABEL, transform=ax.transAxes, ha="right", va="top",
            fontsize=9, style="italic", color="#444")
    if at_risk:
        add_at_risk_counts(*fitters, ax=ax, rows_to_show=["At risk"])
    return ax


def km_figures(groups: dict[tuple[str, str], list], labels: dict[str, str]) -> list:
    """One figure per (population, endpoint) group of reconstructed arms."""
    figures = []
    for (population, endpoint), arms in groups.items():
        fig, ax = plt.subplots(figsize=(8, 4.8 + 0.35 * len(arms)))
        plot_reconstructed_km(arms, labels, ax=ax)
        ax.set_title(f"{endpoint} ({population}): reconstructed Kaplan-Meier curves", loc="left")
        fig.tight_layout()
        figures.append(describe(fig, f"Kaplan-Meier curves of {endpoint} ({population}), reconstructed from the "
                                     "published summaries, not from patient records: " + "; ".join(
                                         _km_arm_text(arm, labels) for arm in arms) + "."))
    return figures


def _km_arm_text(arm, labels: dict[str, str]) -> str:
    """'TCAC group, 30 patients: median 16.2 months rebuilt (16.03 printed)' for alt text."""
    printed = arm.inputs.printed
    median = "not reached" if not np.isfinite(arm.median) else f"{arm.median:.1f} months"
    shown = f" ({printed.median:g} printed)" if printed.median is not None else ""
    return f"{labels.get(arm.inputs.arm, arm.inputs.arm)}, {printed.n} patients: median {median} rebuilt{shown}"


def plot_harness_errors(errors: pd.DataFrame, column: str, ax=None, label: str = ""):
    """Box plot of one reconstruction error of the validation harness, by patients per arm."""
    ax = _axes(ax)
    shown = errors.dropna(subset=[column])
    sns.boxplot(data=shown, x="n", y=column, ax=ax, color="#9ecae1", fliersize=2)
    ax.axhline(0, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xlabel("Patients per arm")
    ax.set_ylabel(label or column)
    return ax


def harness_figure(errors: pd.DataFrame, columns: dict[str, str]):
    """One box plot per error column, side by side; returns the figure."""
    fig, axes = plt.subplots(len(columns), 1, figsize=(8, 3.0 * len(columns)), squeeze=False)
    for ax, (column, label) in zip(axes[:, 0], columns.items()):
        plot_harness_errors(errors, column, ax=ax, label=textwrap.fill(label, 34))
    fig.tight_layout()
    summary = []
    for column, label in columns.items():
        values = errors[column].dropna()
        if len(values):
            summary.append(f"{label}: median {values.median():.3g}, middle half {values.quantile(0.25):.3g} to "
                           f"{values.quantile(0.75):.3g}")
    return describe(fig, "Box plots of the reconstruction's errors on simulated trials, by patients per arm. "
                         + "; ".join(summary) + ".")


def plot_timeline(timeline: pd.DataFrame, ax=None):
    """Enrolment periods (bars) and data cut-offs (diamonds) per study, from printed dates.

    A date printed to the month or year is drawn from its first day; a study without a
    printed date has no bar.
    """
    ax = _axes(ax)
    labels = list(timeline["label"] if "label" in timeline else timeline["study_id"])
    left_out = _left_out(timeline)
    for y, row in enumerate(timeline.itertuples(index=False)):
        grey = left_out[y]
        if row.enrolment_start and row.enrolment_end:
            start, end = pd.Timestamp(row.enrolment_start), pd.Timestamp(row.enrolment_end)
            shown = "Enrolment" not in ax.get_legend_handles_labels()[1] and not grey
            ax.barh(y, (end - start).days, left=start, height=0.4, color=LEFT_OUT_COLOUR if grey else "#9ecae1",
                    label="Enrolment" if shown else None)
        if row.data_cutoff:
            shown = "Data cut-off" not in ax.get_legend_handles_labels()[1] and not grey
            ax.plot(pd.Timestamp(row.data_cutoff), y, "D", color=LEFT_OUT_COLOUR if grey else "#08519c",
                    markersize=6, label="Data cut-off" if shown else None)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", frameon=False, fontsize=9)
    grey_left_out_labels(ax, left_out)
    ax.set_xlabel("Calendar time")
    return ax


def _rate_row_label(label: str, kind: str) -> str:
    """A row's label as drawn: a setting heading wraps onto two lines (so the setting is named
    in full, not cut), a study or pooled row is one line."""
    if kind == "heading":
        return "\n".join(textwrap.wrap(label, 36, max_lines=2, placeholder=" …"))
    return textwrap.shorten(label, 38)


def plot_rate_forest(rows: pd.DataFrame, ax=None, xlabel: str = "Patients (%)", text_ax=None):
    """Forest plot of proportions (percent) in the field's layout, first row at the top.

    ``rows`` has label, estimate, ci_low, ci_high, kind ("study", "pooled", "heading" or "note",
    a line of text such as "2 studies: not pooled") and,
    optionally, total and weight (percent). Studies are squares sized by their weight (else
    their patients) with their CI lines; a pooled estimate is a diamond spanning its CI, with
    its prediction interval dashed. At right, each row's rate and CI as text, and its weight.
    """
    ax = _axes(ax)
    column = ax if text_ax is None else text_ax
    n = len(rows)
    has_weight = "weight" in rows and rows["weight"].notna().any()
    for position, row in enumerate(rows.to_dict("records")):
        y = n - 1 - position
        if row["kind"] == "heading":
            continue
        if row["kind"] == "note":  # a setting whose studies are not pooled: no diamond
            _right_column(column, y, "not pooled")
            continue
        est, lo, hi = row["estimate"], row["ci_low"], row["ci_high"]
        # A Bayesian pool's interval is a credible one; the column header names the studies' CIs.
        kind_of_interval = f"{CREDIBLE} " if row.get("interval") == CREDIBLE else ""
        text = f"{est:.1f} ({kind_of_interval}{lo:.1f}–{hi:.1f})"
        if row["kind"] == "pooled":
            ax.fill([lo, est, hi, est], [y, y + 0.32, y, y - 0.32], color="#08519c")
            if pd.notna(row.get("pi_low")):
                ax.hlines(y, row["pi_low"], row["pi_high"], color="#08519c", linestyle="--", linewidth=1.2)
                text += f"\nPI {row['pi_low']:.1f}–{row['pi_high']:.1f}"
            _right_column(column, y, text, bold=True)
        else:
            ax.hlines(y, lo, hi, color="black", linewidth=1.2)
            share = row.get("weight") if has_weight and pd.notna(row.get("weight")) else None
            size = 4 + 8 * np.sqrt((share / 100) if share is not None else row.get("total", 30) / 150)
            ax.plot(est, y, "s", color="#3182bd", markersize=size)
            _right_column(column, y, text)
            if share is not None:
                _right_column(column, y, f"{share:.0f}%", x=1.8)
    _right_column(column, n - 0.2, "% (95% CI)", bold=True)
    if has_weight:
        _right_column(column, n - 0.2, "Weight", bold=True, x=1.8)
    column.set_ylim(-0.7, n + 0.2)
    ax.set_yticks(range(n))
    ax.set_yticklabels([_rate_row_label(str(t), kind) for t, kind in zip(rows["label"], rows["kind"])][::-1])
    ax.tick_params(axis="y", length=0)
    for tick, kind in zip(ax.get_yticklabels(), list(rows["kind"])[::-1]):
        if kind in ("heading", "pooled"):
            tick.set_fontweight("bold")
        elif kind == "note":
            tick.set_fontstyle("italic")
    ax.set_ylim(-0.7, n + 0.2)
    ax.set_xlim(0, 100)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", color="#e6e6e6")
    return ax


def forest_description(rows: pd.DataFrame, title: str) -> str:
    """Alt text of a rate forest plot: its title and every row's estimate and CI."""
    parts = []
    for row in rows.to_dict("records"):
        if row["kind"] == "heading":
            parts.append(f"{row['label']}:")
        elif row["kind"] == "note":
            parts.append(f"{row['label']};")
        else:
            parts.append(f"{row['label']} {row['estimate']:.1f}% ({row['ci_low']:.1f}–{row['ci_high']:.1f})"
                         + (f", prediction interval {row['pi_low']:.1f}–{row['pi_high']:.1f}"
                            if row["kind"] == "pooled" and pd.notna(row.get("pi_low")) else "") + ";")
    return f"Forest plot. {title}. " + " ".join(parts) if parts else f"{title}: nothing to plot."


def rate_forest_figure(rows: pd.DataFrame, width: float, row_height: float, margin: float, title: str = "",
                       xlabel: str = "Patients (%)"):
    """:func:`plot_rate_forest` of ``rows`` in a figure sized to them (height ``row_height``
    per row, at least three rows, plus ``margin``), described by its rows; a note instead when
    there is nothing."""
    fig, [(ax, text_ax)] = forest_layout([row_height * max(len(rows), 3) + margin], width)
    describe(fig, forest_description(rows, title or "Rates"))
    if rows.empty:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "Nothing to plot", ha="center")
        return fig
    plot_rate_forest(rows, ax=ax, xlabel=xlabel, text_ax=text_ax)
    if title:
        fig.suptitle(textwrap.fill(title, 80), x=0.01, ha="left", fontsize=10.5)
    return fig


def plot_ae_heatmap(matrix: pd.DataFrame, ax=None, label: str = "Patients (%)"):
    """Heatmap of AE rates (percent), terms as rows, study arms as columns; grey = not printed."""
    ax = _axes(ax)
    sns.heatmap(matrix, ax=ax, cmap="Blues", vmin=0, vmax=100, annot=True, fmt=".0f", linewidths=0.5,
                linecolor="white", cbar_kws={"label": label}, annot_kws={"fontsize": 9})
    ax.set_facecolor("#e0e0e0")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticklabels([textwrap.fill(t.get_text(), 14) for t in ax.get_xticklabels()], rotation=0, fontsize=9)
    ax.tick_params(axis="y", labelsize=9)
    return ax


UNKNOWN_LEVEL = {"label": "Not in the tool's levels", "colour": "#bdbdbd"}


def plot_traffic_light(judgements: pd.DataFrame, levels: dict[str, dict], ax=None):
    """Risk-of-bias traffic lights: one row per study, one column per domain (and overall).

    ``judgements`` has study_id, domain (label) and judgement; a domain a study's tool does
    not have is left blank. ``levels`` is the tool's ``levels`` in rob_tools.yaml: each
    judgement's label and colour; each light also carries the label's first character, so
    colour is never the only mark.
    """
    ax = _axes(ax)
    levels = {str(k): v for k, v in levels.items()}
    studies = list(dict.fromkeys(judgements["study_id"]))
    domains = list(dict.fromkeys(judgements["domain"]))
    for row in judgements.to_dict("records"):
        x, y = domains.index(row["domain"]), studies.index(row["study_id"])
        level = levels.get(str(row["judgement"]), UNKNOWN_LEVEL)
        ax.scatter(x, y, s=320, color=level["colour"], edgecolor="#333", linewidth=0.5)
        ax.text(x, y, str(level["label"])[:1].upper(), ha="center", va="center", fontsize=9)
    # Columns are numbered (D1, D2, ...) and named in a key under the lights: full domain names
    # as column labels would collide at any width a page can give them.
    codes = ["Overall" if d == "Overall" else f"D{i + 1}" for i, d in enumerate(domains)]
    ax.set_xticks(range(len(domains)))
    ax.set_xticklabels(codes, fontsize=9)
    ax.xaxis.set_ticks_position("top")
    key = [f"{code}: {domain}" for code, domain in zip(codes, domains) if code != "Overall"]
    # The key starts at the figure's left edge and the legend ends at its right, so they never meet.
    at_left = matplotlib.transforms.blended_transform_factory(ax.figure.transFigure, ax.transAxes)
    ax.text(0.01, -0.02, "\n".join(key), transform=at_left, ha="left", va="top", fontsize=9)
    names = (dict(zip(judgements["study_id"], judgements["label"])) if "label" in judgements
             else {s: s for s in studies})
    status = dict(zip(judgements["study_id"], judgements["status"])) if "status" in judgements else {}
    left_out = [bool(status.get(s)) for s in studies]
    ax.set_yticks(range(len(studies)))
    ax.set_yticklabels([names[s] + (f" ({status[s]})" if status.get(s) else "") for s in studies])
    ax.set_xlim(-0.6, len(domains) - 0.4)
    ax.set_ylim(len(studies) - 0.4, -0.6)
    ax.set_frame_on(False)
    shown = set(map(str, judgements["judgement"]))
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=level["colour"], markeredgecolor="#333",
                          label=level["label"])
               for judgement, level in levels.items() if judgement in shown]
    handles += [plt.Line2D([], [], marker="o", linestyle="", color=UNKNOWN_LEVEL["colour"], markeredgecolor="#333",
                           label=f"{judgement}: {UNKNOWN_LEVEL['label'].lower()}")
                for judgement in sorted(shown - set(levels))]
    if any(left_out):
        handles.append(plt.Line2D([], [], marker="s", linestyle="", color=LEFT_OUT_COLOUR, label=LEFT_OUT_LEGEND))
    ax.legend(handles=handles, loc="upper right", bbox_to_anchor=(1.0, -0.02), frameon=False, fontsize=9)
    for tick, flag in zip(ax.get_yticklabels(), left_out):
        if flag:
            tick.set_color(LEFT_OUT_COLOUR)
            tick.set_fontstyle("italic")
    return ax


SETTING_STYLES = ["-", "--", ":", "-."]
# Up to this many curves the legend fits inside the axes; beyond it the legend goes below the
# axes (and the caller grows the figure), so curves are never hidden behind a long legend.
KM_LEGEND_INSIDE_MAX = 6
KM_LEGEND_ROW_INCHES = 0.2


def km_overlay_height(curves: int, base: float = 5.0) -> float:
    """Figure height (inches) for an overlay of ``curves`` curves: the axes keep ``base``
    inches and each legend row below the axes adds its own height."""
    return base if curves <= KM_LEGEND_INSIDE_MAX else base + KM_LEGEND_ROW_INCHES * curves


def plot_km_overlay(curves: list[tuple[str, str, object]], ax=None):
    """Reconstructed Kaplan-Meier curves of several studies on one axes.

    ``curves`` are (label, setting label, ArmReconstruction); each setting has its own line
    style, so curves of one setting read as a group.
    """
    from ..statistics.reconstruct import kaplan_meier

    ax = _axes(ax)
    settings = list(dict.fromkeys(setting for _, setting, _ in curves))
    for label, setting, arm in curves:
        fitter = kaplan_meier(arm.result.data, f"{label} ({setting})")
        fitter.plot_survival_function(ax=ax, ci_show=False, show_censors=False,
                                      linestyle=SETTING_STYLES[settings.index(setting) % len(SETTING_STYLES)])
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel("Months")
    ax.set_ylabel("Survival probability")
    if len(curves) <= KM_LEGEND_INSIDE_MAX:
        ax.legend(fontsize=9, loc="upper right", frameon=False)
    else:
        ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(0, -0.12), frameon=False)
    ax.text(0.01, 0.02, RECONSTRUCTION_LABEL, transform=ax.transAxes, ha="left", va="bottom",
            fontsize=9, style="italic", color="#444")
    return ax
