"""The results store: an embedded DuckDB database of model predictions, metadata and derived metrics.

Examples
--------
>>> from errorscope.store import ResultStore                       # doctest: +SKIP
>>> with ResultStore("results.duckdb") as store:                   # doctest: +SKIP
...     store.add(population, tags={"sweep": "lr"})
...     store.list()
...     pop = store.population()           # the stored M x N matrix, decoded in one pass
...     store.summary()                    # one row per model, the columns of analyze().summary
...     store.factor_table()               # the tidy factor table (metaclass rows included)
...     store.published_table(which="top", error_type="class")   # accuracies_per_factor.csv layout
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .._optional import require
from ..exceptions import ErrorscopeError, InvalidInputError
from ..datasets._index import ImageIndex, val_index
from ..predictions import Population, Predictions
from .codec import CODEC, TOPK_CODEC, decode_prob, decode_top1, decode_topk, encode_prob, encode_top1, encode_topk
from .info import ModelInfo
from .metrics import MetricSuite, imagenetx_suite
from .schema import CORE_TABLES, DDL, MIGRATIONS, SCHEMA_VERSION

__all__ = ["ResultStore", "StoreError"]

#: Models written per transaction by :meth:`ResultStore.add`.
ADD_CHUNK = 64
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class StoreError(ErrorscopeError):
    """The store file is unusable (other schema version, other image index) or a model is absent."""


@contextlib.contextmanager
def write_transaction(con) -> Iterator[None]:
    """``BEGIN``; ``COMMIT`` when the block ends, ``ROLLBACK`` (and re-raise) when it raises, even on
    KeyboardInterrupt: every write of the store is all or nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


class ResultStore:
    """A results database in one DuckDB file.

    Parameters
    ----------
    path : the database file (created if absent). ``":memory:"`` for a throw-away store.
    suite : the metric suite computed on add (default :func:`~errorscope.store.metrics.imagenetx_suite`).
    read_only : open without write access (several processes may read at once).
    index : the image index of the stored vectors (default: the 50,000 validation images).

    Notes
    -----
    DuckDB allows one writing process per file; other processes can open it read-only once the writer has
    closed it. Every write is one transaction, so readers never see part of a model.
    """

    def __init__(self, path: str | Path, *, suite: MetricSuite | None = None, read_only: bool = False,
                 index: ImageIndex | None = None):
        duckdb = require("duckdb", extra="store", feature="The results store")
        self.path = str(path)
        self.suite = suite or imagenetx_suite()
        self.index = index or val_index()
        self.read_only = read_only
        if read_only and not Path(self.path).exists():
            raise StoreError(f"{self.path}: no such store. Create it with `errorscope store add ... --store {self.path}`.")
        try:
            self._con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            text = " ".join(str(exc).split())
            if "lock" in text.lower():
                raise StoreError(f"{self.path}: the store is open for writing in another process ({text}). Wait for "
                                 "that process to finish, or close it; only one writer at a time.") from None
            raise StoreError(f"{self.path}: cannot open the store: {text}") from None
        self._init_schema()

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (a checkpoint folds the write-ahead log into the file)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def connection(self):
        """The DuckDB connection, for ad-hoc SQL (``store.connection.sql("...")``)."""
        if self._con is None:
            raise StoreError(f"{self.path}: the store is closed.")
        return self._con

    def _init_schema(self) -> None:
        con = self.connection
        if self.read_only:
            have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            if "meta" not in have:
                raise StoreError(f"{self.path}: not an errorscope store (no `meta` table).")
        else:
            with write_transaction(con):
                for stmt in DDL:
                    con.execute(stmt)
                con.execute("INSERT INTO meta VALUES ('schema_version', ?), ('index_name', ?), ('n_images', ?) "
                            "ON CONFLICT DO NOTHING", [SCHEMA_VERSION, self.index.name, str(len(self.index))])
                version = self.meta().get("schema_version")
                while version in MIGRATIONS:  # upgrade an older store in place, in the same transaction
                    for stmt in MIGRATIONS[version]:
                        con.execute(stmt)
                    version = str(int(version) + 1)
                    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [version])
        meta = self.meta()
        version = meta.get("schema_version")
        if version != SCHEMA_VERSION and not (self.read_only and version in MIGRATIONS):
            raise StoreError(f"{self.path}: store schema version {version!r}, but this errorscope "
                             f"reads version {SCHEMA_VERSION!r}. Export it with the errorscope that wrote it.")
        #: an older store opened read-only has no top-k columns
        self._has_topk = version == SCHEMA_VERSION
        if meta.get("index_name") != self.index.name or int(meta.get("n_images", -1)) != len(self.index):
            raise StoreError(f"{self.path}: the store holds predictions on {meta.get('index_name')!r} "
                             f"({meta.get('n_images')} images), not on {self.index.name!r} ({len(self.index)}).")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator["ResultStore"]:
        """Run several reads on one consistent snapshot (a read transaction).

        Every single call already sees only committed, complete models; inside ``with store.snapshot():``
        consecutive calls (``model_names()``, ``derived(...)``, ``population()``) also see the *same* state
        while another connection keeps writing.

        Yields
        ------
        ResultStore
            This store, inside the read transaction.
        """
        con = self.connection
        con.execute("BEGIN TRANSACTION")
        try:
            yield self
        finally:
            con.execute("ROLLBACK")

    def meta(self) -> dict[str, str]:
        """The ``meta`` table as a dict.

        Returns
        -------
        dict of str to str
            Key -> value (schema version, index name, number of images, ...).
        """
        return dict(self.connection.execute("SELECT key, value FROM meta").fetchall())

    def derived_tables(self) -> list[str]:
        """Names (without ``derived_``) of the derived-metric tables present.

        Returns
        -------
        list of str
            Table names, sorted.
        """
        rows = self.connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'derived\\_%' ESCAPE '\\' "
            "ORDER BY table_name").fetchall()
        return [r[0][len("derived_"):] for r in rows]

    # ------------------------------------------------------------------ writing
    def _require_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only; open it without read_only to change it.")

    def add(self, models: Predictions | Population | Iterable[Predictions], *,
            info: ModelInfo | Mapping[str, ModelInfo] | None = None, tags: Mapping[str, str] | None = None,
            progress: bool = False) -> list[str]:
        """Add (or atomically replace) models with their derived metrics.

        Parameters
        ----------
        models : one model's predictions, a population, or an iterable of predictions.
        info : metadata for every model, or a mapping model -> metadata.
        tags : extra tags for every added model (merged over ``info.tags``).
        progress : show a progress bar.

        Returns
        -------
        The names of the added models.
        """
        from tqdm.auto import tqdm

        self._require_writable()
        pop, sources, topk_of = self._as_population(models)
        added: list[str] = []
        bar = tqdm(total=len(pop), desc="adding models", unit="model", disable=not progress)
        for start in range(0, len(pop), ADD_CHUNK):
            names = pop.models[start:start + ADD_CHUNK]
            sub = Population(names, pop.top1[start:start + ADD_CHUNK],
                             None if pop.prob is None else pop.prob[start:start + ADD_CHUNK], pop.index)
            self._write_chunk(sub, {m: topk_of[m] for m in names if m in topk_of}, info, tags or {},
                              sources=sources)
            added.extend(names)
            bar.update(len(names))
        bar.close()
        return added

    def _as_population(self, models) -> tuple[Population, dict[str, str], dict[str, np.ndarray]]:
        """The models as one population (without top-k), their sources and their top-k matrices by name."""
        sources: dict[str, str] = {}
        if isinstance(models, Predictions):
            models = [models]
        if isinstance(models, Population):
            topk_of = {} if models.topk is None else {m: models.topk[i] for i, m in enumerate(models.models)}
        else:
            preds = list(models)
            if not preds:
                raise InvalidInputError("Nothing to add: expected at least one model's predictions.")
            sources = {p.model: p.source for p in preds}
            topk_of = {p.model: p.topk for p in preds if p.topk is not None}
            models = Population.from_predictions(preds)
        if models.index.name != self.index.name or len(models.index) != len(self.index):
            raise InvalidInputError(f"The predictions are aligned to {models.index.name!r}, but the store holds "
                                    f"{self.index.name!r}; read them with the store's index.")
        return Population(models.models, models.top1, models.prob, models.index), sources, topk_of

    def _metric_frames(self, pop: Population, topk_of: Mapping[str, np.ndarray] | None = None
                       ) -> dict[str, pd.DataFrame]:
        """The suite's frames of ``pop``; models are handed to the suite in groups of equal top-k width (a
        population carries top-k only when all its models have it), the frames concatenated per table."""
        topk_of = topk_of or {}
        by_k: dict[int, list[int]] = {}
        for i, m in enumerate(pop.models):
            by_k.setdefault(topk_of[m].shape[1] if m in topk_of else 0, []).append(i)
        parts: dict[str, list[pd.DataFrame]] = {}
        for k, rows in by_k.items():
            names = [pop.models[i] for i in rows]
            group = pop if len(by_k) == 1 and k == 0 else Population(
                names, pop.top1[rows], None if pop.prob is None else pop.prob[rows], pop.index,
                np.stack([topk_of[m] for m in names]) if k else None)
            for name, frame in self._suite_frames(group).items():
                parts.setdefault(name, []).append(frame)
        return {name: p[0] if len(p) == 1 else pd.concat(p, ignore_index=True) for name, p in parts.items()}

    def _suite_frames(self, pop: Population) -> dict[str, pd.DataFrame]:
        frames = self.suite.compute(pop)
        for name, frame in frames.items():
            if not _TABLE_NAME.match(name):
                raise InvalidInputError(f"Metric table name {name!r} must match {_TABLE_NAME.pattern}.")
            if "model" not in frame.columns:
                raise InvalidInputError(f"Metric table {name!r} of suite {self.suite.tag} has no 'model' column.")
            unknown = set(frame["model"].astype(str)) - set(pop.models)
            if unknown:
                raise InvalidInputError(f"Metric table {name!r} names models that were not given: {sorted(unknown)[:3]}.")
        return frames

    def _write_chunk(self, pop: Population, topk_of: Mapping[str, np.ndarray], info, tags: Mapping[str, str],
                     sources=None) -> None:
        frames = self._metric_frames(pop, topk_of)  # computed before the transaction: a failure writes nothing
        labels = self.index.labels
        now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
        rows, pred_rows, tag_rows = [], [], []
        for i, name in enumerate(pop.models):
            mi = info.get(name, ModelInfo()) if isinstance(info, Mapping) else (info or ModelInfo())
            rows.append({
                "model": name, "added_at": now, "source": (sources or {}).get(name) or None,
                "index_name": self.index.name, "n_images": len(self.index),
                "n_covered": int((pop.top1[i] >= 0).sum()), "architecture": mi.architecture,
                "training_data": mi.training_data, "n_params": mi.n_params, "model_type": mi.resolved_type(name),
                "metric_version": self.suite.tag,
            })
            topk = topk_of.get(name)
            pred_rows.append({"model": name, "codec": CODEC, "top1": encode_top1(pop.top1[i], labels),
                              "prob": None if pop.prob is None or np.isnan(pop.prob[i]).all()
                              else encode_prob(pop.prob[i]),
                              "topk": encode_topk(topk, labels), "topk_codec": None if topk is None else TOPK_CODEC})
            for key, value in {**dict(mi.tags), **dict(tags)}.items():
                tag_rows.append({"model": name, "key": key, "value": value})
        models_df = pd.DataFrame(rows).astype({"n_params": "Int64"})
        models_df["source"] = models_df["source"].astype(object)
        pred_df = pd.DataFrame(pred_rows).astype({"topk": object, "topk_codec": object})
        tags_df = pd.DataFrame(tag_rows, columns=["model", "key", "value"])
        names_df = pd.DataFrame({"model": list(pop.models)})
        con = self.connection
        with write_transaction(con):
            con.register("_names", names_df)
            replacing = con.execute("SELECT count(*) FROM models WHERE model IN (SELECT model FROM _names)"
                                    ).fetchall()[0][0]
            if replacing:  # rows of a model exist only together with its `models` row (same transaction)
                self._delete_registered(con)
            for table, frame in (("models", models_df), ("predictions", pred_df), ("tags", tags_df)):
                con.register("_rows", frame)
                cols = ", ".join(f'"{c}"' for c in frame.columns)
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rows")
                con.unregister("_rows")
            for name, frame in frames.items():
                self._insert_derived(con, name, frame)
            con.unregister("_names")

    def _delete_registered(self, con) -> None:
        for table in CORE_TABLES + [f"derived_{t}" for t in self.derived_tables()]:
            con.execute(f"DELETE FROM {table} WHERE model IN (SELECT model FROM _names)")

    def _insert_derived(self, con, name: str, frame: pd.DataFrame) -> None:
        table = f"derived_{name}"
        con.register("_rows", frame)
        if name not in self.derived_tables():
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM _rows LIMIT 0")
        have = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        if have != list(frame.columns):
            con.unregister("_rows")
            raise StoreError(
                f"{self.path}: table {table} has columns {have} but suite {self.suite.tag} returns "
                f"{list(frame.columns)}; run `errorscope store refresh` (ResultStore.refresh(force=True))."
            )
        con.execute(f"INSERT INTO {table} SELECT * FROM _rows")
        con.unregister("_rows")

    def remove(self, models: str | Sequence[str]) -> list[str]:
        """Remove models and all their rows in one transaction.

        Parameters
        ----------
        models : str or sequence of str
            Names of stored models; an unknown name raises :class:`StoreError` and removes nothing.

        Returns
        -------
        list of str
            The removed names.
        """
        self._require_writable()
        names = [models] if isinstance(models, str) else list(models)
        present = [m for m in names if m in set(self.model_names())]
        missing = [m for m in names if m not in present]
        if missing:
            raise StoreError(f"{self.path}: no model named {missing[0]!r} in the store. "
                             "`errorscope store list` shows the stored models.")
        con = self.connection
        with write_transaction(con):
            con.register("_names", pd.DataFrame({"model": present}))
            self._delete_registered(con)
            con.unregister("_names")
        return present

    # ------------------------------------------------------------------ metric versions
    def stale_models(self) -> list[str]:
        """Models whose derived rows were computed with another suite version than ``self.suite``.

        Returns
        -------
        list of str
            Model names, sorted.
        """
        rows = self.connection.execute("SELECT model FROM models WHERE metric_version <> ? ORDER BY model",
                                       [self.suite.tag]).fetchall()
        return [r[0] for r in rows]

    def refresh(self, *, force: bool = False, progress: bool = False) -> list[str]:
        """Recompute derived metrics of stale models (every model with ``force``) from the stored predictions.

        Metrics are computed chunk by chunk from the stored predictions, then written in one transaction:
        when every model is recomputed the old ``derived_*`` tables are dropped (their layout may differ),
        otherwise the stale models' rows are replaced. A refresh killed midway leaves the store as it was.

        Parameters
        ----------
        force : bool, default False
            Recompute every model, not only the stale ones.
        progress : bool, default False
            Show a progress bar.

        Returns
        -------
        list of str
            The recomputed models.
        """
        from tqdm.auto import tqdm

        self._require_writable()
        todo = self.model_names() if force else self.stale_models()
        if not todo:
            return []
        collected: dict[str, list[pd.DataFrame]] = {}
        for start in tqdm(range(0, len(todo), ADD_CHUNK), desc="refreshing metrics", disable=not progress):
            pop, topk_of = self._read(todo[start:start + ADD_CHUNK], with_prob=True, with_topk=True)
            for name, frame in self._metric_frames(pop, topk_of).items():
                collected.setdefault(name, []).append(frame)
        frames = {name: pd.concat(parts, ignore_index=True) for name, parts in collected.items()}
        rebuild = force or len(todo) == len(self)
        con = self.connection
        with write_transaction(con):
            con.register("_names", pd.DataFrame({"model": todo}))
            for t in self.derived_tables():
                if rebuild:
                    con.execute(f"DROP TABLE derived_{t}")
                else:
                    con.execute(f"DELETE FROM derived_{t} WHERE model IN (SELECT model FROM _names)")
            for name, frame in frames.items():
                self._insert_derived(con, name, frame)
            con.execute("UPDATE models SET metric_version = ? WHERE model IN (SELECT model FROM _names)",
                        [self.suite.tag])
            con.unregister("_names")
        return todo

    # ------------------------------------------------------------------ reading
    def model_names(self) -> list[str]:
        """Stored model names, sorted.

        Returns
        -------
        list of str
            The names.
        """
        return [r[0] for r in self.connection.execute("SELECT model FROM models ORDER BY model").fetchall()]

    def __len__(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM models").fetchall()[0][0])

    def __contains__(self, model: str) -> bool:
        return bool(self.connection.execute("SELECT count(*) FROM models WHERE model = ?", [model]).fetchall()[0][0])

    def list(self) -> pd.DataFrame:
        """One row per model: its metadata, tags, coverage, headline accuracies and stored bytes.

        Returns
        -------
        DataFrame sorted by model: the ``models`` columns, ``coverage`` (n_covered / n_images), ``tags``
        (``key=value`` pairs sorted by key and joined by ``;``, ``""`` when none), ``top1`` and ``top5`` (from
        the ``summary`` table, when the suite writes one) and ``stored_bytes`` (compressed predictions).
        """
        topk_bytes = " + coalesce(octet_length(p.topk), 0)" if self._has_topk else ""
        df = self.connection.execute(
            "SELECT m.*, m.n_covered / m.n_images AS coverage, coalesce(t.tags, '') AS tags, "
            f"octet_length(p.top1) + coalesce(octet_length(p.prob), 0){topk_bytes} AS stored_bytes "
            "FROM models m JOIN predictions p USING (model) LEFT JOIN ("
            "  SELECT model, string_agg(key || '=' || value, ';' ORDER BY key) AS tags FROM tags GROUP BY model"
            ") t USING (model) ORDER BY m.model").df()
        if "summary" in self.derived_tables():
            cols = [r[0] for r in self.connection.execute("DESCRIBE derived_summary").fetchall()]
            picked = [c for c in ("top1", "top5") if c in cols]
            if picked:
                sel = ", ".join(f"any_value({c}) AS {c}" for c in picked)
                acc = self.connection.execute(f"SELECT model, {sel} FROM derived_summary GROUP BY model").df()
                bytes_col = df.pop("stored_bytes")
                df = df.merge(acc, on="model", how="left")
                df["stored_bytes"] = bytes_col.to_numpy()
        return df

    def summary(self, models: Sequence[str] | None = None) -> pd.DataFrame:
        """The stored headline numbers, one row per model: the columns of ``analyze().summary``.

        Parameters
        ----------
        models : the models (default: all).

        Returns
        -------
        DataFrame indexed by ``model`` (sorted) with :data:`~errorscope.store.metrics.SUMMARY_COLUMNS`:
        n_images, n_covered, coverage, missing, top1, top1_n, top5, real, real_n, real_imagenetx, imagenetx_n,
        worst_factor, worst_factor_accuracy, imagenetx_<error_type>, ece; every number over the images the model
        covers. When the store keeps the error taxonomy, also ``mla``, ``mla_n`` and ``label_source`` (the
        taxonomy's multi-label accuracy over the covered non-problematic images, as ``analyze().summary``).
        """
        self._require_derived("summary")
        out = self.derived("summary", models).set_index("model").sort_index()
        if "error_categories" in self.derived_tables():
            cats = self.derived("error_categories", models)
            if not {"subset", "mla", "num_all_samples", "label_source"} <= set(cats.columns):
                return out  # a custom suite's table without the taxonomy's MLA columns
            cats = cats[cats["subset"] == "all"].set_index("model")
            out["mla"] = cats["mla"].reindex(out.index)
            out["mla_n"] = cats["num_all_samples"].reindex(out.index).astype("Int64")
            if "mla_shankar" in cats.columns:
                out["mla_shankar"] = cats["mla_shankar"].reindex(out.index)
            out["label_source"] = cats["label_source"].reindex(out.index)
        return out

    def factor_table(self, models: Sequence[str] | None = None, *, which: str | None = None,
                     error_type: str | None = None, metaclass: str | None = None,
                     confidence: float = 0.95) -> pd.DataFrame:
        """The stored models' tidy factor table (:func:`errorscope.results.tidy_factor_frame` rows).

        The store keeps the rows' counts; accuracies, intervals and error ratios are completed from them by
        :func:`errorscope.results._layout.complete_factor_rows`, with the builder's functions.

        Parameters
        ----------
        models : the models (default: all).
        which, error_type : keep only these ("top"/"multi"; "class"/"metaclass"/"real_class"); None keeps all.
        metaclass : keep only this group (``"all"`` = the overall rows, or a metaclass name); None keeps all.
        confidence : level of the intervals.

        Returns
        -------
        DataFrame with the columns model, which, error_type, metaclass, factor, correct, total, accuracy,
        ci_low, ci_high, average, average_correct, average_total, error_ratio, er_low, er_high, sorted by
        model, which, error_type and then in the builder's (metaclass, factor) order.
        """
        from ..results._layout import complete_factor_rows

        self._require_derived("factors")
        rows = self.derived("factors", models)
        for column, value in (("which", which), ("error_type", error_type), ("metaclass", metaclass)):
            if value is not None:
                rows = rows[rows[column] == value]
        rows = rows.sort_values(["model", "which", "error_type"], kind="stable").reset_index(drop=True)
        return complete_factor_rows(rows, confidence=confidence)

    def published_table(self, models: Sequence[str] | None = None, *, which: str = "top",
                        error_type: str = "class", metaclass: bool = False) -> pd.DataFrame:
        """The stored models' factor accuracies in the published ImageNet-X layout.

        Parameters
        ----------
        models : the models (default: all).
        which, error_type : the table ("top"/"multi"; "class"/"metaclass"/"real_class").
        metaclass : False: ``accuracies_per_factor.csv`` (index model; the 16 factors, worst_factor, average,
            worst_100_classes); True: ``accuracies_per_factor_metaclass.csv`` (index model, metaclass).

        Returns
        -------
        DataFrame, from the stored tidy rows by :func:`errorscope.results.to_published_layout`.
        """
        from ..results import to_published_layout

        rows = self.factor_table(models, which=which, error_type=error_type)
        worst = None
        if not metaclass and "worst_classes" in self.derived_tables():
            w = self.derived("worst_classes", models)
            w = w[(w["which"] == which) & (w["error_type"] == error_type)]
            worst = w.set_index("model")["worst_100_classes"]
        return to_published_layout(rows, which=which, error_type=error_type, metaclass=metaclass,
                                   worst_classes=worst)

    def _require_derived(self, name: str) -> None:
        if name not in self.derived_tables():
            raise StoreError(f"{self.path}: no derived table {name!r} (present: {self.derived_tables()}); the "
                             "store was filled with another metric suite. Run `errorscope store refresh --force`.")

    def tags(self, model: str | None = None) -> pd.DataFrame:
        """Tags of one model (or of all).

        Parameters
        ----------
        model : str, optional
            A stored model; None gives the tags of every model.

        Returns
        -------
        DataFrame
            Columns model, key, value.
        """
        if model is None:
            return self.connection.execute("SELECT * FROM tags ORDER BY model, key").df()
        return self.connection.execute("SELECT * FROM tags WHERE model = ? ORDER BY key", [model]).df()

    def show(self, model: str) -> dict:
        """Everything stored about ``model``: metadata, tags and its derived tables.

        Parameters
        ----------
        model : str
            A stored model.

        Returns
        -------
        dict
            ``{"model": metadata row, "tags": {key: value}, "derived": {table: DataFrame}}``.
        """
        self._require_model(model)
        row = self.connection.execute("SELECT * FROM models WHERE model = ?", [model]).df().iloc[0].to_dict()
        tags = dict(self.connection.execute("SELECT key, value FROM tags WHERE model = ? ORDER BY key",
                                            [model]).fetchall())
        derived = {t: self.derived(t, [model]) for t in self.derived_tables()}
        return {"model": row, "tags": tags, "derived": derived}

    def _require_model(self, model: str) -> None:
        if model not in self:
            raise StoreError(f"{self.path}: no model named {model!r} in the store. "
                             "`errorscope store list` shows the stored models.")

    def derived(self, name: str, models: Sequence[str] | None = None) -> pd.DataFrame:
        """A derived-metric table, optionally restricted to ``models``.

        Parameters
        ----------
        name : str
            Table name without ``derived_`` (see :meth:`derived_tables`).
        models : sequence of str, optional
            Keep only these models' rows.

        Returns
        -------
        DataFrame
            The table's rows.
        """
        if name not in self.derived_tables():
            raise StoreError(f"{self.path}: no derived table {name!r}; present: {self.derived_tables()}.")
        if models is None:
            return self.connection.execute(f"SELECT * FROM derived_{name}").df()
        con = self.connection
        con.register("_sel", pd.DataFrame({"model": list(models)}))
        try:
            return con.execute(f"SELECT * FROM derived_{name} WHERE model IN (SELECT model FROM _sel)").df()
        finally:
            con.unregister("_sel")

    def population(self, models: Sequence[str] | None = None, *, with_prob: bool = True,
                   with_topk: bool = True) -> Population:
        """The stored predictions of ``models`` (default: all, sorted by name) as one M x N population.

        Parameters
        ----------
        models : the models, in the order wanted (default: all, sorted by name).
        with_prob : decode the top-1 probabilities.
        with_topk : decode the top-k matrices; the population carries ``topk`` (M, N, k) when every model
            has one of the same width k (as :meth:`Population.from_predictions`), else None (see
            :meth:`predictions` for one model's own).

        Returns
        -------
        Population
        """
        pop, topk_of = self._read(self.model_names() if models is None else list(models), with_prob=with_prob,
                                  with_topk=with_topk)
        widths = {t.shape[1] for t in topk_of.values()}
        if topk_of and len(topk_of) == len(pop) and len(widths) == 1:
            return Population(pop.models, pop.top1, pop.prob, pop.index, np.stack([topk_of[m] for m in pop.models]))
        return pop

    def _read(self, names: list[str], *, with_prob: bool, with_topk: bool
              ) -> tuple[Population, dict[str, np.ndarray]]:
        """Decode the stored rows of ``names``: a population without top-k, and the top-k matrices by name."""
        for m in set(names) - set(self.model_names()):
            self._require_model(m)
        with_topk = with_topk and self._has_topk
        cols = "model, codec, top1" + (", prob" if with_prob else ", NULL") + (", topk, topk_codec" if with_topk
                                                                              else ", NULL, NULL")
        con = self.connection
        con.register("_sel", pd.DataFrame({"model": names}))
        try:
            rows = con.execute(f"SELECT {cols} FROM predictions WHERE model IN (SELECT model FROM _sel)").fetchall()
        finally:
            con.unregister("_sel")
        by_name = {r[0]: r for r in rows}
        n = len(self.index)
        top1 = np.empty((len(names), n), dtype=np.int16)
        prob = np.full((len(names), n), np.nan, dtype=np.float32) if with_prob else None
        any_prob = False
        labels = self.index.labels
        topk_of: dict[str, np.ndarray] = {}
        for i, name in enumerate(names):
            row = by_name[name]
            if row[1] != CODEC:
                raise StoreError(f"{self.path}: model {name!r} uses codec {row[1]!r}, this errorscope reads {CODEC!r}.")
            top1[i] = decode_top1(row[2], labels)
            if with_prob and row[3] is not None:
                prob[i] = decode_prob(row[3], n)
                any_prob = True
            if row[4] is not None:
                if row[5] != TOPK_CODEC:
                    raise StoreError(f"{self.path}: the top-k of {name!r} uses codec {row[5]!r}, this errorscope "
                                     f"reads {TOPK_CODEC!r}.")
                topk_of[name] = decode_topk(row[4], labels)
        return Population(names, top1, prob if any_prob else None, self.index), topk_of

    def predictions(self, model: str) -> Predictions:
        """One stored model's predictions (top-1, probabilities and top-k when stored).

        Parameters
        ----------
        model : str
            A stored model.

        Returns
        -------
        Predictions
            Its predictions on the store's index.
        """
        self._require_model(model)
        return self.population([model])[model]

    # ------------------------------------------------------------------ integrity
    def check(self) -> list[str]:
        """Consistency problems (empty when the store is sound).

        Every model must have exactly one predictions row that decodes to the index length (its top-k too),
        rows in every derived table, and no table may hold rows of a model that is not in ``models``. (Row
        counts may differ between models: the factor table has rows only for groups a model has images of.)

        Returns
        -------
        list of str
            One sentence per problem.
        """
        con = self.connection
        problems = []
        for table in ["predictions", "tags"] + [f"derived_{t}" for t in self.derived_tables()]:
            orphans = con.execute(f"SELECT DISTINCT model FROM {table} WHERE model NOT IN (SELECT model FROM models)"
                                  ).fetchall()
            problems += [f"{table}: rows of {r[0]!r}, which is not in `models`" for r in orphans]
        missing = con.execute("SELECT model FROM models WHERE model NOT IN (SELECT model FROM predictions)").fetchall()
        problems += [f"predictions: no row for {r[0]!r}" for r in missing]
        for t in self.derived_tables():
            counts = dict(con.execute(f"SELECT model, count(*) FROM derived_{t} GROUP BY model").fetchall())
            absent = [m for m in self.model_names() if m not in counts]
            problems += [f"derived_{t}: no rows for {m!r}" for m in absent]
        topk = "topk" if self._has_topk else "NULL"
        for name, codec, blob, kblob in con.execute(f"SELECT model, codec, top1, {topk} FROM predictions").fetchall():
            try:
                decode_top1(blob, self.index.labels)
                decode_topk(kblob, self.index.labels)
            except Exception as exc:  # noqa: BLE001 - report every decoding failure
                problems.append(f"predictions: {name!r} does not decode ({codec}): {exc}")
        return problems
