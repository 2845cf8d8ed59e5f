"""The results store: an embedded DuckDB database of model predictions, metadata and derived metrics.

Examples
--------
>>> from errorscope.store import ResultStore                       # doctest: +SKIP
>>> with ResultStore("results.duckdb") as store:                   # doctest: +SKIP
...     store.add(population, tags={"sweep": "lr"})
...     store.list()
...     pop = store.population()           # the stored M x N matrix, decoded in one pass
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
from .codec import CODEC, decode_prob, decode_top1, encode_prob, encode_top1
from .info import ModelInfo
from .metrics import MetricSuite, imagenetx_suite
from .schema import CORE_TABLES, DDL, SCHEMA_VERSION

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
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc
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
        meta = self.meta()
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: store schema version {meta.get('schema_version')!r}, but this errorscope "
                             f"reads version {SCHEMA_VERSION!r}. Export it with the errorscope that wrote it.")
        if meta.get("index_name") != self.index.name or int(meta.get("n_images", -1)) != len(self.index):
            raise StoreError(f"{self.path}: the store holds predictions on {meta.get('index_name')!r} "
                             f"({meta.get('n_images')} images), not on {self.index.name!r} ({len(self.index)}).")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator["ResultStore"]:
        """Run several reads on one consistent snapshot (a read transaction).

        Every single call already sees only committed, complete models; inside ``with store.snapshot():``
        consecutive calls (``model_names()``, ``derived(...)``, ``population()``) also see the *same* state
        while another connection keeps writing.
        """
        con = self.connection
        con.execute("BEGIN TRANSACTION")
        try:
            yield self
        finally:
            con.execute("ROLLBACK")

    def meta(self) -> dict[str, str]:
        """The ``meta`` table as a dict."""
        return dict(self.connection.execute("SELECT key, value FROM meta").fetchall())

    def derived_tables(self) -> list[str]:
        """Names (without ``derived_``) of the derived-metric tables present."""
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
        pop, sources = self._as_population(models)
        added: list[str] = []
        bar = tqdm(total=len(pop), desc="adding models", unit="model", disable=not progress)
        for start in range(0, len(pop), ADD_CHUNK):
            names = pop.models[start:start + ADD_CHUNK]
            sub = Population(names, pop.top1[start:start + ADD_CHUNK],
                             None if pop.prob is None else pop.prob[start:start + ADD_CHUNK], pop.index)
            self._write_chunk(sub, info, tags or {}, sources=sources)
            added.extend(names)
            bar.update(len(names))
        bar.close()
        return added

    def _as_population(self, models) -> tuple[Population, dict[str, str]]:
        sources: dict[str, str] = {}
        if isinstance(models, Predictions):
            models = [models]
        if not isinstance(models, Population):
            preds = list(models)
            if not preds:
                raise InvalidInputError("Nothing to add: expected at least one model's predictions.")
            sources = {p.model: p.source for p in preds}
            models = Population.from_predictions(preds)
        if models.index.name != self.index.name or len(models.index) != len(self.index):
            raise InvalidInputError(f"The predictions are aligned to {models.index.name!r}, but the store holds "
                                    f"{self.index.name!r}; read them with the store's index.")
        return models, sources

    def _metric_frames(self, pop: Population) -> dict[str, pd.DataFrame]:
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

    def _write_chunk(self, pop: Population, info, tags: Mapping[str, str], sources=None) -> None:
        frames = self._metric_frames(pop)  # computed before the transaction: a failure writes nothing
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
            pred_rows.append({"model": name, "codec": CODEC, "top1": encode_top1(pop.top1[i], labels),
                              "prob": None if pop.prob is None or np.isnan(pop.prob[i]).all()
                              else encode_prob(pop.prob[i])})
            for key, value in {**dict(mi.tags), **dict(tags)}.items():
                tag_rows.append({"model": name, "key": key, "value": value})
        models_df = pd.DataFrame(rows).astype({"n_params": "Int64"})
        models_df["source"] = models_df["source"].astype(object)
        pred_df = pd.DataFrame(pred_rows)
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
        """Remove models and all their rows in one transaction; returns the names that were present."""
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
        """Models whose derived rows were computed with another suite version than ``self.suite``."""
        rows = self.connection.execute("SELECT model FROM models WHERE metric_version <> ? ORDER BY model",
                                       [self.suite.tag]).fetchall()
        return [r[0] for r in rows]

    def refresh(self, *, force: bool = False, progress: bool = False) -> list[str]:
        """Recompute derived metrics of stale models (every model with ``force``) from the stored predictions.

        Metrics are computed chunk by chunk from the stored predictions, then written in one transaction:
        when every model is recomputed the old ``derived_*`` tables are dropped (their layout may differ),
        otherwise the stale models' rows are replaced. A refresh killed midway leaves the store as it was.
        """
        from tqdm.auto import tqdm

        self._require_writable()
        todo = self.model_names() if force else self.stale_models()
        if not todo:
            return []
        collected: dict[str, list[pd.DataFrame]] = {}
        for start in tqdm(range(0, len(todo), ADD_CHUNK), desc="refreshing metrics", disable=not progress):
            pop = self.population(todo[start:start + ADD_CHUNK])
            for name, frame in self._metric_frames(pop).items():
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
        """Stored model names, sorted."""
        return [r[0] for r in self.connection.execute("SELECT model FROM models ORDER BY model").fetchall()]

    def __len__(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM models").fetchall()[0][0])

    def __contains__(self, model: str) -> bool:
        return bool(self.connection.execute("SELECT count(*) FROM models WHERE model = ?", [model]).fetchall()[0][0])

    def list(self) -> pd.DataFrame:
        """One row per model: metadata, top-1 accuracy (when the suite computes it) and stored bytes."""
        df = self.connection.execute(
            "SELECT m.*, octet_length(p.top1) + coalesce(octet_length(p.prob), 0) AS stored_bytes "
            "FROM models m JOIN predictions p USING (model) ORDER BY m.model").df()
        if "summary" in self.derived_tables():
            cols = [r[0] for r in self.connection.execute("DESCRIBE derived_summary").fetchall()]
            if "top1" in cols:
                top1 = self.connection.execute("SELECT model, any_value(top1) AS top1 FROM derived_summary "
                                               "GROUP BY model").df()
                df = df.merge(top1, on="model", how="left")
        return df

    def tags(self, model: str | None = None) -> pd.DataFrame:
        """Tags of one model (or of all), columns model, key, value."""
        if model is None:
            return self.connection.execute("SELECT * FROM tags ORDER BY model, key").df()
        return self.connection.execute("SELECT * FROM tags WHERE model = ? ORDER BY key", [model]).df()

    def show(self, model: str) -> dict:
        """Everything stored about ``model``: metadata, tags and its derived tables."""
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
        """A derived-metric table, optionally restricted to ``models``."""
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

    def population(self, models: Sequence[str] | None = None, *, with_prob: bool = True) -> Population:
        """The stored predictions of ``models`` (default: all, sorted by name) as one M x N population."""
        names = self.model_names() if models is None else list(models)
        for m in set(names) - set(self.model_names()):
            self._require_model(m)
        cols = "model, codec, top1" + (", prob" if with_prob else "")
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
        for i, name in enumerate(names):
            row = by_name[name]
            if row[1] != CODEC:
                raise StoreError(f"{self.path}: model {name!r} uses codec {row[1]!r}, this errorscope reads {CODEC!r}.")
            top1[i] = decode_top1(row[2], labels)
            if with_prob and row[3] is not None:
                prob[i] = decode_prob(row[3], n)
                any_prob = True
        return Population(names, top1, prob if any_prob else None, self.index)

    def predictions(self, model: str) -> Predictions:
        """One stored model's predictions."""
        self._require_model(model)
        return self.population([model])[model]

    # ------------------------------------------------------------------ integrity
    def check(self) -> list[str]:
        """Consistency problems (empty when the store is sound).

        Every model must have exactly one predictions row that decodes to the index length, rows in every
        derived table, and no table may hold rows of a model that is not in ``models``.
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
            if counts and len(set(counts.values())) > 1:
                problems.append(f"derived_{t}: models have different row counts {sorted(set(counts.values()))}")
        for name, codec, blob in con.execute("SELECT model, codec, top1 FROM predictions").fetchall():
            try:
                decode_top1(blob, self.index.labels)
            except Exception as exc:  # noqa: BLE001 - report every decoding failure
                problems.append(f"predictions: {name!r} does not decode ({codec}): {exc}")
        return problems
