"""Render a :class:`~errorscope.report.context.ReportContext` as one self-contained HTML file."""

from __future__ import annotations

import datetime as _dt
import math
from importlib import resources as _ir
from pathlib import Path

import numpy as np
import pandas as pd

from .._io import atomic_open
from .._optional import require
from ..constants import FACTORS, METACLASSES
from ..plots.data import MIN_IMAGES
from .context import ReportContext

__all__ = ["build_report", "write_report"]

#: Above this many models the headline section is the sortable table alone (no card per model).
MAX_CARDS = 8

_TAX_COLUMNS = [
    ("num_collapsed_mappings", "overlapping classes"), ("num_ambiguous", "multi-label"),
    ("num_same_superclass", "fine-grained"), ("num_OOV_clip", "fine-grained OOV"),
    ("num_common_co_occ", "spurious correlation"), ("num_non_prototypical", "non-prototypical"),
    ("num_not_classified", "model failure"),
]


def _isnan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, (np.floating,)) and np.isnan(v))


def _cell(v, kind: str = "text", style: str = "") -> dict:
    """One table cell: display text, sort value, css class."""
    if _isnan(v) or (kind != "text" and isinstance(v, str)):
        return {"text": "n/a", "value": "", "cls": "na", "style": ""}
    if kind == "pct":
        return {"text": f"{100 * float(v):.2f}%", "value": f"{float(v):.6g}", "cls": "", "style": style}
    if kind == "num":
        return {"text": f"{float(v):.3f}", "value": f"{float(v):.6g}", "cls": "", "style": style}
    if kind == "int":
        return {"text": f"{int(v):,}", "value": str(int(v)), "cls": "", "style": style}
    if kind == "p1":
        return {"text": f"{float(v):.1f}", "value": f"{float(v):.6g}", "cls": "", "style": style}
    if kind == "p":  # a p-value: small ones in scientific notation
        v = float(v)
        text = "< 1e-300" if v == 0 else (f"{v:.2e}" if v < 1e-3 else f"{v:.3f}")
        return {"text": text, "value": f"{v:.6g}", "cls": "", "style": style}
    return {"text": str(v), "value": str(v), "cls": "text", "style": style}


def _table(frame: pd.DataFrame, columns: list[tuple[str, str, str]]) -> dict:
    """A table rendered on the server (small tables: headline, taxonomy)."""
    headers = [{"label": label, "cls": "text" if kind == "text" else ""} for _, label, kind in columns]
    values = [frame[c].tolist() for c, _, _ in columns]
    kinds = [kind for _, _, kind in columns]
    rows = [[_cell(v, k) for v, k in zip(row, kinds)] for row in zip(*values)]
    return {"headers": headers, "rows": rows, "data": None}


def _json_value(v, kind: str):
    if kind == "text":
        return None if _isnan(v) else str(v)
    if _isnan(v) or isinstance(v, str) or not np.isfinite(float(v)):
        return None
    if kind == "p":
        return float(f"{float(v):.4g}")
    return int(v) if kind == "int" else round(float(v), 6)


def _data_table(frame: pd.DataFrame, columns: list[tuple[str, str, str]],
                intervals: dict[str, tuple[str, str, str]] | None = None) -> dict:
    """A table whose rows the page's script builds from embedded JSON (the large per-model tables).

    ``intervals`` maps an error-ratio column to its (low, high, n) columns: such a cell shows n, carries its
    interval in a tooltip and is coloured only when the interval excludes 1 (few images: never coloured).
    """
    intervals = intervals or {}
    headers = [{"label": label, "cls": "text" if kind == "text" else ""} for _, label, kind in columns]
    cols = []
    for c, _, kind in columns:
        vals = [_json_value(v, kind) for v in frame[c].tolist()]
        if c in intervals:
            lo, hi, n = ([_json_value(v, "int" if j == 2 else "num") for v in frame[x].tolist()]
                         for j, x in enumerate(intervals[c]))
            vals = [None if v is None else [v, a, b, k] for v, a, b, k in zip(vals, lo, hi, n)]
        cols.append(vals)
    kinds = ["er" if c in intervals else kind for c, _, kind in columns]
    return {"headers": headers, "rows": [], "data": {"kinds": kinds, "rows": [list(r) for r in zip(*cols)]}}


def _select(frame: pd.DataFrame, column: str, col_index: int, label: str, order=None) -> dict:
    values = [str(v) for v in pd.unique(frame[column])]
    if order:
        values = [v for v in order if v in values] + [v for v in values if v not in order]
    return {"col": col_index, "label": label, "options": values}


def _fmt_pct(v) -> str:
    return "n/a" if _isnan(v) else f"{100 * float(v):.2f}%"


def _compare_view(views) -> dict | None:
    """Template data of the image-by-image sections (None when not computed)."""
    if views is None:
        return None
    out: dict = {"diff_header": views.diff_header, "hard_header": views.hard_header,
                 "consistency_n": views.consistency_n, "consistency_pairs": views.consistency_pairs,
                 "consistency_shown": 0 if views.consistency is None else len(views.consistency), "diff": None, "diff_groups": None, "diff_selects": [],
                 "transitions": None, "consistency": None, "hard": None, "label_errors": None, "worst": None}
    if views.diff_summary is not None:
        out["diff"] = _table(views.diff_summary, [
            ("model_a", "model A", "text"), ("model_b", "model B", "text"), ("n", "images both cover", "int"),
            ("acc_a", "top-1 A", "pct"), ("acc_b", "top-1 B", "pct"), ("fixed", "fixed (A wrong, B right)", "int"),
            ("broken", "broken (A right, B wrong)", "int"), ("p_value", "McNemar exact p", "p"),
            ("kappa", "error consistency κ", "num"), ("ci_low", "κ low", "num"), ("ci_high", "κ high", "num")])
        g = views.diff_groups
        out["diff_groups"] = _data_table(g, [
            ("group_type", "group type", "text"), ("group", "group", "text"), ("n", "images", "int"),
            ("fixed", "fixed", "int"), ("broken", "broken", "int"), ("both_wrong", "both wrong", "int"),
            ("acc_a", "top-1 A", "pct"), ("acc_b", "top-1 B", "pct"), ("p_value", "p", "p"),
            ("p_holm", "p (Holm)", "p")])
        out["diff_selects"] = [_select(g, "group_type", 0, "group types")]
        out["transitions"] = _table(views.diff_transitions, [
            ("from_category", "A's category", "text"), ("to_category", "B's category", "text"),
            ("count", "images", "int")])
    if views.consistency is not None:
        c = views.consistency.sort_values("kappa", ascending=False, kind="stable")
        out["consistency"] = _data_table(c, [
            ("model_a", "model", "text"), ("model_b", "model", "text"), ("kappa", "κ", "num"),
            ("ci_low", "κ low", "num"), ("ci_high", "κ high", "num"), ("n", "images", "int")])
    if views.hard is not None:
        h = views.hard.assign(label_error=views.hard["label_error"].map({True: "yes", False: ""}),
                              real_rejects_label=views.hard["real_rejects_label"].map({True: "yes", False: ""}))
        out["hard"] = _data_table(h, [
            ("file_name", "image", "text"), ("target_name", "label", "text"), ("error_rate", "models wrong", "pct"),
            ("n_models", "models", "int"), ("top_prediction", "most frequent prediction", "text"),
            ("top_category", "most frequent category", "text"), ("factors", "ImageNet-X factors", "text"),
            ("real_labels", "ReaL labels", "text"), ("label_error", "known label error", "text"),
            ("real_rejects_label", "ReaL rejects label", "text")])
    if views.label_errors is not None:
        cols = [("model", "model", "text"), ("n", "images", "int"), ("errors", "top-1 errors", "int"),
                ("errors_on_label_errors", "on known label errors", "int"),
                ("share_label_errors", "share of errors", "pct"),
                ("errors_on_real_rejects", "on ReaL-rejected labels", "int"), ("top1", "top-1", "pct"),
                ("top1_without_label_errors", "top-1 without label errors", "pct"),
                ("n_without_label_errors", "images (without)", "int"),
                ("top1_corrected", "top-1, label errors corrected", "pct")]
        if "hard_share" in views.label_errors.columns:
            cols.append(("hard_share", "errors on hard images", "pct"))
        out["label_errors"] = _data_table(views.label_errors, cols)
    if views.worst_classes is not None:
        w = views.worst_classes
        out["worst"] = _data_table(w, [("model", "model", "text"), ("class_name", "class", "text"),
                                       ("total", "images", "int"), ("accuracy", "top-1", "pct"),
                                       ("ci_low", "low", "pct"), ("ci_high", "high", "pct")])
        out["worst_selects"] = [_select(w, "model", 0, "models")]
    return out


def build_report(context: ReportContext) -> str:
    """The HTML text of the report: inline CSS, JS, data and images; no network access when opened.

    Every text from the tables is HTML-escaped (jinja2 autoescape); chart data is embedded as JSON with ``<``,
    ``>`` and ``&`` escaped.

    Parameters
    ----------
    context : ReportContext
        The report's tables and figures.

    Returns
    -------
    str
        The self-contained HTML page.
    """
    jinja2 = require("jinja2", extra="report", feature="HTML reports")
    from .. import __version__

    pkg = _ir.files(__package__)
    def load(name: str):  # templates/<name>; an optional section partial (e.g. diff.html.j2) may be absent
        f = pkg.joinpath("templates", name)
        return f.read_text(encoding="utf-8") if f.is_file() else None

    env = jinja2.Environment(loader=jinja2.FunctionLoader(load), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=False)
    template = env.get_template("report.html.j2")
    css = pkg.joinpath("static", "report.css").read_text(encoding="utf-8")
    js = pkg.joinpath("static", "report.js").read_text(encoding="utf-8")

    s = context.summary.copy()
    for c in ("top5", "real", "mla", "mla_minor", "mla_explainable", "n_covered"):
        if c not in s.columns:
            s[c] = np.nan
    cards = [] if len(s) > MAX_CARDS else [{"model": r["model"], "top1": _fmt_pct(r["top1"]), "top5": _fmt_pct(r["top5"]), "real": _fmt_pct(r["real"]),
              "mla": _fmt_pct(r["mla"])} for _, r in s.iterrows()]
    summary = _table(s, [("model", "model", "text"), ("top1", "top-1", "pct"), ("top5", "top-5", "pct"),
                         ("real", "ReaL", "pct"), ("mla", "MLA", "pct"), ("mla_minor", "MLA minor", "pct"),
                         ("mla_explainable", "MLA explainable", "pct"), ("n_covered", "images predicted", "int")])

    f = context.factors
    overall = f[(f["metaclass"] == "all")]
    chart_rows = overall[(overall["error_type"] == "class") & (overall["factor"].isin(FACTORS))]
    er_data = [{k: (None if _isnan(r[k]) else (float(r[k]) if k not in ("model", "factor") else str(r[k])))
                for k in ("model", "factor", "error_ratio", "er_low", "er_high", "accuracy", "total")}
               for _, r in chart_rows.iterrows()]
    for d in er_data:
        d["total"] = None if d["total"] is None else int(d["total"])
    ft = overall.sort_values(["model", "error_type"], kind="stable")
    factor_cols = [("model", "model", "text"), ("error_type", "error type", "text"), ("factor", "factor", "text"),
                   ("total", "images", "int"), ("accuracy", "accuracy", "pct"), ("ci_low", "acc. low", "pct"),
                   ("ci_high", "acc. high", "pct"), ("error_ratio", "error ratio", "num"),
                   ("er_low", "ER low", "num"), ("er_high", "ER high", "num")]
    factor_table = _data_table(ft, factor_cols, intervals={"error_ratio": ("er_low", "er_high", "total")})

    meta = f[(f["metaclass"] != "all") & (f["error_type"] == "class")]
    idx = ["model", "metaclass"]
    wide = meta.pivot_table(index=idx, columns="factor", values=["error_ratio", "er_low", "er_high", "total"],
                            dropna=False)
    acc = meta[meta["factor"] == "average"].set_index(idx)["accuracy"]
    flat = pd.DataFrame(index=wide.index)
    flat["accuracy"] = acc.reindex(wide.index)
    for x in FACTORS:
        for v in ("error_ratio", "er_low", "er_high", "total"):
            flat[f"{v}:{x}"] = wide[(v, x)] if (v, x) in wide.columns else np.nan
    order = {m: i for i, m in enumerate(METACLASSES)}
    flat = flat.reset_index()
    flat["_o"] = flat["metaclass"].map(order)
    models_order = {m: i for i, m in enumerate(context.models)}
    flat["_m"] = flat["model"].map(models_order)
    wide = flat.sort_values(["_m", "_o"], kind="stable").drop(columns=["_o", "_m"])
    mcols = [("model", "model", "text"), ("metaclass", "metaclass", "text"), ("accuracy", "accuracy", "pct")] + \
            [(f"error_ratio:{x}", x.replace("_", " "), "num") for x in FACTORS]
    metaclass_table = _data_table(wide, mcols, intervals={f"error_ratio:{x}": (f"er_low:{x}", f"er_high:{x}",
                                                                                f"total:{x}") for x in FACTORS})

    taxonomy_table = share_table = None
    taxonomy_selects: list[dict] = []
    if context.taxonomy is not None:
        t = context.taxonomy.copy()
        key = ["model_dir_id"] + (["group"] if "group" in t.columns else [])
        if "group" in t.columns:
            order = {g: i for i, g in enumerate(("all", "organism", "artifact", "other"))}
            models_order = {m.replace("/", "--"): i for i, m in enumerate(context.models)}
            t = t.assign(_m=t["model_dir_id"].map(models_order), _g=t["group"].map(order)).sort_values(
                ["_m", "_g"], kind="stable").drop(columns=["_m", "_g"])
        cols = [("model_dir_id", "model", "text")] + ([("group", "image group", "text")] if "group" in t.columns else [])
        for c, label in (("num_group_samples", "images"), ("num_group_top1_errors", "top-1 errors")):
            if c in t.columns:
                cols.append((c, label, "int"))
        for c, label in (("mla_group", "MLA (%)"), ("mla_group_minor_error", "MLA minor (%)"),
                         ("mla_group_explainable_error", "MLA explainable (%)")):
            if c in t.columns:
                cols.append((c, label, "p1"))
        cols += [(c, label, "int") for c, label in _TAX_COLUMNS if c in t.columns]
        taxonomy_table = _table(t, cols)
        shares = [(f"share_{c[4:]}", label, "pct") for c, label in _TAX_COLUMNS if f"share_{c[4:]}" in t.columns]
        if shares:
            share_table = _table(t, [cols[k] for k in range(len(key))] + shares)
        if "group" in t.columns:
            taxonomy_selects = [_select(t.rename(columns={"model_dir_id": "model"}), "model", 0, "models"),
                                _select(t, "group", 1, "image groups", ["all", "organism", "artifact", "other"])]

    comparison_table = None
    if context.comparison is not None:
        c = context.comparison
        comparison_table = _data_table(c, [("model", "model", "text"), ("factor", "factor", "text")]
                                  + ([("population", "published population", "text")] if "population" in c.columns else [])
                                  + [
                                      ("value", "value", "num"),
                                      ("pop_median", "published median", "num"), ("pop_p10", "p10", "num"),
                                      ("pop_p90", "p90", "num"), ("percentile", "percentile", "p1")])

    mk = context.mistakes
    mcols2 = [("model", "model", "text")] + ([("rank", "rank", "int")] if "rank" in mk.columns else []) + \
             [("true_name", "true class", "text"), ("predicted_name", "predicted class", "text"), ("count", "images", "int")]
    if "share_of_errors" in mk.columns:
        mcols2.append(("share_of_errors", "share of errors", "pct"))
    if "label_errors" in mk.columns:
        mcols2.append(("label_errors", "known label errors", "int"))
    mistakes_table = _data_table(mk, mcols2)

    examples = []
    if context.examples is not None and len(context.examples):
        for g, rows in context.examples.groupby("group", sort=False):
            examples.append({"title": g, "items": [dict(file_name=r["file_name"], caption=r["caption"], src=r["src"])
                                                   for _, r in rows.iterrows()]})

    metaclass_figures = [(n, f"Most robust (green) and susceptible (orange) factors of {n[len('model_metaclasses_'):]} "
                             "in its 3 weakest metaclasses, dog, and overall.")
                         for n in context.figures if n.startswith("model_metaclasses_")]
    return template.render(
        title=context.title, models=context.models, version=__version__,
        generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        css=jinja2.utils.markupsafe.Markup(css), js=jinja2.utils.markupsafe.Markup(js),
        cards=cards, summary=summary, min_images=MIN_IMAGES, er_data=er_data, factor_table=factor_table,
        factor_selects=[_select(ft, "model", 0, "models", context.models), _select(ft, "error_type", 1, "error types")],
        metaclass_table=metaclass_table,
        metaclass_selects=[_select(wide, "model", 0, "models", context.models), _select(wide, "metaclass", 1, "metaclasses", METACLASSES)],
        metaclass_figures=metaclass_figures, figures=context.figures,
        taxonomy_table=taxonomy_table, taxonomy_note=context.taxonomy_note, share_table=share_table,
        taxonomy_selects=taxonomy_selects,
        comparison_table=comparison_table, comparison_population=context.comparison_population,
        comparison_selects=[_select(context.comparison, "model", 0, "models", context.models)] if context.comparison is not None else [],
        mistakes_table=mistakes_table, mistakes_selects=[_select(mk, "model", 0, "models", context.models)],
        examples=examples, examples_note=context.examples_note, notes=context.notes,
        compare=_compare_view(context.compare),
    )


def write_report(context: ReportContext, path: str | Path) -> Path:
    """Render ``context`` and write it atomically to ``path`` (UTF-8).

    Parameters
    ----------
    context : ReportContext
        The report's tables and figures.
    path : str or Path
        The HTML file to write.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    html = build_report(context)
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(html)
    return path

