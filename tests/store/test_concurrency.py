"""A reader on another connection never sees part of a model while a writer replaces models."""

import threading

import numpy as np
import pytest

from errorscope.datasets._index import val_index
from errorscope.predictions import Predictions
from errorscope.store import ResultStore

from .conftest import top1_suite


@pytest.mark.slow
def test_reader_snapshots_are_consistent_during_writes(tmp_path):
    path = tmp_path / "c.duckdb"
    labels = val_index().labels
    writer = ResultStore(path, suite=top1_suite())
    reader = ResultStore(path, suite=top1_suite())
    done = threading.Event()
    problems, reads = [], []

    def read_loop():
        while not done.is_set():
            with reader.snapshot():
                names = reader.model_names()
                if not names:
                    continue
                acc = reader.derived("acc").set_index("model")["top1"]
                pop = reader.population()
                tags = reader.tags().set_index("model")["value"]
            if sorted(acc.index) != names or sorted(tags.index) != names:
                problems.append(("rows", names, sorted(acc.index)))
            for i, m in enumerate(pop.models):
                if abs(acc[m] - np.mean(pop.top1[i] == labels)) > 1e-12:
                    problems.append(("metric", m))
                rng = np.random.default_rng(int(tags[m]))
                want = np.where(rng.random(labels.size) < 0.3, rng.integers(0, 1000, labels.size), labels)
                if not np.array_equal(pop.top1[i], want):
                    problems.append(("predictions", m))
            reads.append(len(names))

    thread = threading.Thread(target=read_loop)
    thread.start()
    try:
        for i in range(25):
            rng = np.random.default_rng(i)
            top1 = np.where(rng.random(labels.size) < 0.3, rng.integers(0, 1000, labels.size), labels)
            writer.add([Predictions.from_arrays(f"m{(i + j) % 5}", top1) for j in range(3)], tags={"seed": str(i)})
    finally:
        done.set()
        thread.join()
        writer.close()
        reader.close()
    assert problems == []
    assert len(reads) >= 3
