"""One object holding everything the figures draw about the user's models, built from an analysis or a store.

The figures only draw: every number in :class:`FigureInputs` is computed before, by
:func:`errorscope.results.analyze` (tidy factor rows with their intervals), the store's metric suite or the
error taxonomy. :meth:`FigureInputs.build_kwargs` hands the tables to :func:`errorscope.plots.build_figures`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..constants import FACTORS
from ..exceptions import InvalidInputError

__all__ = ["FigureInputs"]

#: Columns the figures read from a tidy factor frame (the layout of :func:`errorscope.results.tidy_factor_frame`).
TIDY_COLUMNS = ["model", "metaclass", "factor", "total", "accuracy", "ci_low", "ci_high", "error_ratio", "er_low",
                "er_high"]


def _wide(rows: pd.DataFrame, index) -> pd.DataFrame:
    from ..results._layout import pivot_factor_rows

    return pivot_factor_rows(rows, index)


@dataclass
class FigureInputs:
    """The user's models as the figures read them: one error type and annotation file.

    Attributes
    ----------
    factors : tidy factor rows (columns :data:`TIDY_COLUMNS`; ``metaclass == "all"`` overall, other values the
        per-metaclass breakdown; ``factor == "average"`` rows hold a group's overall accuracy). May lack
        metaclass rows (a store keeps overall rows only): then no per-model metaclass figure is drawn.
    worst_100_classes : model -> mean accuracy over its 100 worst classes (the published tables' column).
    eth_stats : group -> ETH ``non_problematic_stats_<group>.csv`` rows of the models (error-category figures).
    which, error_type : the annotation file and correctness the rows were computed with.
    models : model order.
    """

    factors: pd.DataFrame
    worst_100_classes: pd.Series | None = None
    eth_stats: dict[str, pd.DataFrame] | None = None
    which: str = "top"
    error_type: str = "class"
    models: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.factors, pd.DataFrame):
            raise InvalidInputError(f"Expected `factors` to be a DataFrame, but got {type(self.factors).__name__}.")
        missing = [c for c in TIDY_COLUMNS if c not in self.factors.columns]
        if missing:
            raise InvalidInputError(f"Expected the tidy factor frame to have columns {TIDY_COLUMNS}, but {missing} "
                                    f"are missing (got {list(self.factors.columns)}); build it with "
                                    "errorscope.results.analyze or FigureInputs.from_store.")
        if not self.models:
            self.models = [str(m) for m in pd.unique(self.factors["model"])]

    # ------------------------------------------------------------------------------------------------------
    # constructors

    @classmethod
    def from_tables(cls, factors: pd.DataFrame, *, summary: pd.DataFrame | None = None,
                    taxonomy: pd.DataFrame | None = None, which: str = "top", error_type: str = "class"
                    ) -> "FigureInputs":
        """From a tidy factor frame with ``which`` and ``error_type`` columns (the report's ``factors``).

        Parameters
        ----------
        factors : tidy factor frame (:func:`errorscope.report.tables.report_tables` layout, with ``average`` rows).
        summary : optional per-model summary with ``worst_100_classes_<error_type>`` (column ``model``).
        taxonomy : optional ETH stats rows with a ``group`` column (:func:`errorscope.report.tables.taxonomy_tables`).
        which, error_type : the rows to keep.

        Returns
        -------
        FigureInputs
        """
        rows = factors[(factors["which"] == which) & (factors["error_type"] == error_type)]
        if rows.empty:
            raise InvalidInputError(f"No factor rows for which={which!r}, error_type={error_type!r}; the frame has "
                                    f"{sorted(set(zip(factors['which'], factors['error_type'])))}.")
        worst = None
        col = f"worst_100_classes_{error_type}"
        if summary is not None and col in summary.columns:
            worst = summary.set_index("model")[col]
        eth = None
        if taxonomy is not None:
            t = taxonomy if "group" in taxonomy.columns else taxonomy.assign(group="all")
            eth = {str(g): d.drop(columns="group").reset_index(drop=True) for g, d in t.groupby("group", sort=False)}
        models = [str(m) for m in (summary["model"] if summary is not None else pd.unique(rows["model"]))]
        return cls(factors=rows.reset_index(drop=True), worst_100_classes=worst, eth_stats=eth, which=which,
                   error_type=error_type, models=models)

    @classmethod
    def from_analysis(cls, analysis, taxonomy: pd.DataFrame | None = None, *, which: str = "top",
                      error_type: str = "class") -> "FigureInputs":
        """From an :class:`errorscope.results.Analysis` (and optional ETH stats rows with a ``group`` column).

        Parameters
        ----------
        analysis : the result of :func:`errorscope.results.analyze` (``which`` among its annotation files).
        taxonomy : optional ETH ``non_problematic_stats`` rows of the models, with a ``group`` column.
        which, error_type : the factor rows drawn.

        Returns
        -------
        FigureInputs
        """
        f = analysis.factors
        keys = ["model", "error_type", "which", "metaclass"]
        avg = f.drop_duplicates(keys)[keys + ["average_total", "average"]].rename(
            columns={"average_total": "total", "average": "accuracy"}).assign(
                factor="average", ci_low=np.nan, ci_high=np.nan, error_ratio=np.nan, er_low=np.nan, er_high=np.nan)
        tidy = pd.concat([f[keys + ["factor", "total", "accuracy", "ci_low", "ci_high", "error_ratio", "er_low",
                                    "er_high"]], avg], ignore_index=True)
        summary = None
        table = analysis.tables.get((which, error_type))
        if table is not None and "worst_100_classes" in table[0].columns:
            summary = pd.DataFrame({"model": list(analysis.summary.index),
                                    f"worst_100_classes_{error_type}":
                                        table[0]["worst_100_classes"].reindex(analysis.summary.index).to_numpy()})
        return cls.from_tables(tidy, summary=summary, taxonomy=taxonomy, which=which, error_type=error_type)

    @classmethod
    def from_store(cls, store, models: Sequence[str] | None = None, *, which: str = "top",
                   error_type: str = "class") -> "FigureInputs":
        """From the derived tables of a :class:`errorscope.store.ResultStore` (its ``factors``, ``summary`` and,
        when present, ``error_categories`` tables); the stored models' own numbers, overall rows only.

        Parameters
        ----------
        store : an open ResultStore.
        models : stored model names (default: all).
        which, error_type : the factor rows drawn.

        Returns
        -------
        FigureInputs
        """
        from ..store.metrics import eth_stats_from_categories

        models = list(models) if models else store.model_names()
        if not models:
            raise InvalidInputError(f"{store.path}: the store holds no models.")
        unknown = [m for m in models if m not in store]
        if unknown:
            raise InvalidInputError(f"{store.path}: no stored model(s) {unknown}; see `errorscope store list`.")
        tables = store.derived_tables()
        if "factors" not in tables:
            raise InvalidInputError(f"{store.path}: no ImageNet-X factor tables (derived tables: {tables}); "
                                    "run `errorscope store refresh --store FILE` with the default metric suite.")
        tidy = store.factor_table(models, which=which, error_type=error_type)
        avg = (tidy.drop_duplicates(["model", "metaclass"])
               .assign(factor="average", total=lambda d: d["average_total"], accuracy=lambda d: d["average"],
                       ci_low=np.nan, ci_high=np.nan, error_ratio=np.nan, er_low=np.nan, er_high=np.nan))
        rows = pd.concat([tidy[TIDY_COLUMNS], avg[TIDY_COLUMNS]], ignore_index=True)
        worst = None
        try:
            wide = store.published_table(models, which=which, error_type=error_type)
            worst = wide["worst_100_classes"] if "worst_100_classes" in wide else None
        except InvalidInputError:
            worst = None
        eth = None
        if "error_categories" in tables:
            eth = eth_stats_from_categories(store.derived("error_categories", models))
        return cls(factors=rows, worst_100_classes=worst, eth_stats=eth, which=which, error_type=error_type,
                   models=models)

    # ------------------------------------------------------------------------------------------------------
    # views

    @property
    def overall(self) -> pd.DataFrame:
        """Overall rows of the 16 factors (``model, factor, total, accuracy, error_ratio, er_low, er_high``)."""
        f = self.factors
        return f[(f["metaclass"] == "all") & f["factor"].isin(FACTORS)].reset_index(drop=True)

    @property
    def has_metaclasses(self) -> bool:
        """Whether per-metaclass rows are present."""
        return bool((self.factors["metaclass"] != "all").any())

    def table(self) -> pd.DataFrame:
        """The models in the ``accuracies_per_factor.csv`` layout.

        Returns
        -------
        DataFrame
            Index model (in :attr:`models` order); the 16 factors, worst_factor, average and, when known,
            worst_100_classes.
        """
        f = self.factors
        wide = _wide(f[f["metaclass"] == "all"], "model")
        if self.worst_100_classes is not None:
            wide["worst_100_classes"] = pd.Series(self.worst_100_classes).reindex(wide.index)
        wide.index.name = "model"
        return wide.reindex([m for m in self.models if m in wide.index])

    def metaclass_table(self) -> pd.DataFrame:
        """The metaclass rows in the ``accuracies_per_factor_metaclass.csv`` layout.

        Returns
        -------
        DataFrame
            Columns model, metaclass, the 16 factors, worst_factor, average.
        """
        f = self.factors
        return _wide(f[f["metaclass"] != "all"], ["model", "metaclass"]).reset_index()

    def build_kwargs(self, *, metaclass_models: Sequence[str] | None = None,
                     max_error_ratio_models: int = 12) -> dict:
        """Keyword arguments of :func:`errorscope.plots.build_figures` drawing these models.

        Parameters
        ----------
        metaclass_models : models that get a ``model_metaclasses_<model>`` figure (default: all, when metaclass
            rows are present).
        max_error_ratio_models : above this many models the grouped ``model_error_ratios`` bars are not drawn
            (one bar per model and factor would be unreadable).

        Returns
        -------
        dict with ``which, error_type, user_table, user_factors, user_eth_stats, user_metaclass_factors``.
        """
        out = {"which": self.which, "error_type": self.error_type, "user_table": self.table(),
               "user_eth_stats": self.eth_stats, "user_factors": None, "user_metaclass_factors": None}
        if len(self.models) <= max_error_ratio_models:
            out["user_factors"] = self.overall
        if self.has_metaclasses:
            keep = list(self.models if metaclass_models is None else metaclass_models)
            out["user_metaclass_factors"] = self.factors[self.factors["model"].isin(keep)].reset_index(drop=True)
        return out


def as_eth_mapping(stats: Mapping[str, pd.DataFrame] | pd.DataFrame | None) -> dict[str, pd.DataFrame] | None:
    """ETH stats rows as group -> frame (a frame with a ``group`` column is split; one without is ``all``)."""
    if stats is None or isinstance(stats, Mapping):
        return None if stats is None else dict(stats)
    if "group" in stats.columns:
        return {str(g): d.drop(columns="group") for g, d in stats.groupby("group", sort=False)}
    return {"all": stats}
