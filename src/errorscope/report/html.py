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
from .context import ReportContext

__all__ = ["build_report", "write_report"]

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
    return {"text": str(v), "value": str(v), "cls": "text", "style": style}


def _table(frame: pd.DataFrame, columns: list[tuple[str, str, str]]) -> dict:
    headers = [{"label": label, "cls": "text" if kind == "text" else ""} for _, label, kind in columns]
    rows = [[_cell(r[c], kind) for c, _, kind in columns] for _, r in frame.iterrows()]
    return {"headers": headers, "rows": rows}


def _er_style(v) -> str:
    """Background colour of an error-ratio cell: green below 1, orange above, white at 1."""
    if _isnan(v) or not np.isfinite(v):
        return ""
    t = max(-1.0, min(1.0, math.log2(max(float(v), 1e-6))))
    if t < 0:
        r, g, b = (42, 157, 143)
    else:
        r, g, b = (244, 162, 97)
    a = abs(t) * 0.75
    return f"background: rgba({r},{g},{b},{a:.2f})"


def _select(frame: pd.DataFrame, column: str, col_index: int, label: str, order=None) -> dict:
    values = [str(v) for v in pd.unique(frame[column])]
    if order:
        values = [v for v in order if v in values] + [v for v in values if v not in order]
    return {"col": col_index, "label": label, "options": values}


def _fmt_pct(v) -> str:
    return "n/a" if _isnan(v) else f"{100 * float(v):.2f}%"


def build_report(context: ReportContext) -> str:
    """The HTML text of the report: inline CSS, JS, data and images; no network access when opened.

    Every text from the tables is HTML-escaped (jinja2 autoescape); chart data is embedded as JSON with ``<``,
    ``>`` and ``&`` escaped.
    """
    jinja2 = require("jinja2", extra="report", feature="HTML reports")
    from .. import __version__

    pkg = _ir.files(__package__)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)
    template = env.from_string(pkg.joinpath("templates", "report.html.j2").read_text(encoding="utf-8"))
    css = pkg.joinpath("static", "report.css").read_text(encoding="utf-8")
    js = pkg.joinpath("static", "report.js").read_text(encoding="utf-8")

    s = context.summary.copy()
    for c in ("top5", "real", "mla", "mla_minor", "mla_explainable", "n_covered"):
        if c not in s.columns:
            s[c] = np.nan
    cards = [{"model": r["model"], "top1": _fmt_pct(r["top1"]), "top5": _fmt_pct(r["top5"]), "real": _fmt_pct(r["real"]),
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
    factor_table = _table(ft, factor_cols)
    for row, (_, r) in zip(factor_table["rows"], ft.iterrows()):
        row[7]["style"] = _er_style(r["error_ratio"])

    meta = f[(f["metaclass"] != "all") & (f["error_type"] == "class")]
    wide = meta.pivot_table(index=["model", "metaclass"], columns="factor", values="error_ratio", dropna=False)
    acc = meta[meta["factor"] == "average"].set_index(["model", "metaclass"])["accuracy"]
    wide = wide.reindex(columns=FACTORS)
    wide.insert(0, "accuracy", acc.reindex(wide.index))
    order = {m: i for i, m in enumerate(METACLASSES)}
    wide = wide.reset_index()
    wide["_o"] = wide["metaclass"].map(order)
    models_order = {m: i for i, m in enumerate(context.models)}
    wide["_m"] = wide["model"].map(models_order)
    wide = wide.sort_values(["_m", "_o"], kind="stable").drop(columns=["_o", "_m"])
    mcols = [("model", "model", "text"), ("metaclass", "metaclass", "text"), ("accuracy", "accuracy", "pct")] + \
            [(x, x.replace("_", " "), "num") for x in FACTORS]
    metaclass_table = _table(wide, mcols)
    for row, (_, r) in zip(metaclass_table["rows"], wide.iterrows()):
        for k, x in enumerate(FACTORS):
            row[3 + k]["style"] = _er_style(r[x])

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
        shares = [(f"share_{c}", label, "p1") for c, label in _TAX_COLUMNS if f"share_{c}" in t.columns]
        if shares:
            share_table = _table(t, [cols[k] for k in range(len(key))] + shares)
        if "group" in t.columns:
            taxonomy_selects = [_select(t.rename(columns={"model_dir_id": "model"}), "model", 0, "models"),
                                _select(t, "group", 1, "image groups", ["all", "organism", "artifact", "other"])]

    comparison_table = None
    if context.comparison is not None:
        c = context.comparison
        comparison_table = _table(c, [("model", "model", "text"), ("factor", "factor", "text")]
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
    mistakes_table = _table(mk, mcols2)

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
        cards=cards, summary=summary, er_data=er_data, factor_table=factor_table,
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
    )


def write_report(context: ReportContext, path: str | Path) -> Path:
    """Render ``context`` and write it atomically to ``path`` (UTF-8). Returns the path."""
    path = Path(path)
    html = build_report(context)
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(html)
    return path

