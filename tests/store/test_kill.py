"""A writer killed (SIGKILL) at a random point leaves a consistent store that reopens.

The child process re-adds 12 model names over and over, each version made from its own seed and tagged
with it. After the kill every present model must be one complete version: its predictions equal the ones
generated from the seed in its tag, and its derived row matches those predictions.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from errorscope.store import ResultStore

from .conftest import top1_suite

CHILD = textwrap.dedent(
    """
    import sys, numpy as np
    sys.path.insert(0, {tests!r})
    from store.conftest import top1_suite
    from errorscope.datasets import val_index
    from errorscope.predictions import Predictions
    from errorscope.store import ResultStore

    labels = val_index().labels
    with ResultStore({path!r}, suite=top1_suite()) as store:
        for i in range(100000):
            rng = np.random.default_rng(i)
            top1 = np.where(rng.random(labels.size) < 0.3, rng.integers(0, 1000, labels.size), labels)
            preds = [Predictions.from_arrays(f"m{{(i + j) % 12}}", top1) for j in range(3)]
            store.add(preds, tags={{"seed": str(i)}})
            print(i, flush=True)
    """
)


def expected_top1(seed, labels):
    rng = np.random.default_rng(seed)
    return np.where(rng.random(labels.size) < 0.3, rng.integers(0, 1000, labels.size), labels).astype(np.int16)


@pytest.mark.slow
@pytest.mark.parametrize("extra_delay", [0.0, 0.37, 1.1])
def test_sigkill_during_writes_leaves_consistent_store(tmp_path, extra_delay):
    from errorscope.datasets._index import val_index

    path = str(tmp_path / "kill.duckdb")
    tests_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(tests=tests_dir, path=path))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, env=env, text=True)
    done = 0
    deadline = time.time() + 120
    while done < 8 and time.time() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        done += 1
    time.sleep(extra_delay)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert done >= 8, "the writer did not get going"

    labels = val_index().labels
    with ResultStore(path, suite=top1_suite()) as store:
        assert store.check() == []
        names = store.model_names()
        assert 3 <= len(names) <= 12
        acc = store.derived("acc").set_index("model")["top1"]
        tags = store.tags().set_index("model")
        pop = store.population()
        for i, name in enumerate(names):
            seed = int(tags.loc[name, "value"])
            assert np.array_equal(pop.top1[i], expected_top1(seed, labels)), name
            assert acc[name] == pytest.approx(np.mean(pop.top1[i] == labels), abs=1e-12)
        # the store is writable again after the crash
        store.remove(names[0])
        assert store.check() == []
