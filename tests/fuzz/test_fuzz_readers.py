"""Fuzzing the readers: every malformed or adversarial input ends in a value or one IngestError naming the file.

The corpus (``tests/fuzz/corpus.py``) is seeded and built in the test. The normal run reads the constructed
cases, the directory cases and 150 random mutations in-process, and a sample through ``errorscope analyze``.
The whole corpus (>= 1,400 cases) runs behind the ``fuzz`` marker, each case in a worker subprocess with a
timeout so that hangs and crashes are seen::

    ERRORSCOPE_FUZZ=1 PYTHONPATH=src ERRORSCOPE_DATA_DIR=../shared/data python -m pytest -q -m fuzz tests/fuzz -s
"""

from __future__ import annotations

import collections
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ._outcome import BAD, classify
from .corpus import build_corpus

SEED = 20261202
QUICK_RANDOM = 150
FULL_RANDOM = 1250
CASE_TIMEOUT = 60.0
FUZZ = os.environ.get("ERRORSCOPE_FUZZ") == "1"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick_corpus():
    return build_corpus(SEED, QUICK_RANDOM)


def test_corpus_is_seeded_and_large(quick_corpus):
    """The same seed builds the same inputs, and the full corpus has at least 1,400 cases."""
    again = build_corpus(SEED, QUICK_RANDOM)
    assert [c.name for c in again] == [c.name for c in quick_corpus]
    with tempfile.TemporaryDirectory() as tmp:
        for x, y in list(zip(quick_corpus, again))[-20:]:
            (Path(tmp) / "a").mkdir()
            (Path(tmp) / "b").mkdir()
            assert x.build(Path(tmp) / "a").read_bytes() == y.build(Path(tmp) / "b").read_bytes()
            shutil.rmtree(Path(tmp) / "a")
            shutil.rmtree(Path(tmp) / "b")
    assert len(quick_corpus) - QUICK_RANDOM + FULL_RANDOM >= 1400


def test_quick_corpus_values_or_one_clear_error(quick_corpus, tmp_path):
    """Constructed, directory and 150 random cases in-process: no traceback, no silent accept, no refusal of
    a valid variant, every error names its file on one line."""
    counts: collections.Counter = collections.Counter()
    failures = []
    for i, case in enumerate(quick_corpus):
        folder = tmp_path / f"c{i}"
        folder.mkdir()
        outcome, detail = classify(case, case.build(folder))
        counts[outcome] += 1
        if outcome in BAD:
            failures.append(f"{case.name}: {outcome}: {detail}")
        shutil.rmtree(folder, ignore_errors=True)
    assert not failures, "\n".join(failures)
    assert counts["error"] > 200 and counts["value"] > 20, counts


CLI_SAMPLE = ("built:million_fields.csv", "built:class_hex.csv", "built:structured.npz", "built:corrupt_deflate.npz",
              "built:deep_tuple_key.pickle", "built:scalar_object_dtype.pickle", "built:top5_scalar.parquet",
              "file:fifo.csv", "dir:broken_link")


def test_cli_sample_exits_with_one_line(quick_corpus, tmp_path):
    """``errorscope analyze`` on bad inputs: exit code 1 and one ``errorscope analyze: error: <file>...`` line."""
    by_name = {c.name: c for c in quick_corpus}
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for name in CLI_SAMPLE:
        folder = tmp_path / name.replace(":", "_")
        folder.mkdir()
        path = by_name[name].build(folder)
        run = subprocess.run([sys.executable, "-m", "errorscope", "analyze", str(path), "--out", str(folder / "out")],
                             check=False, capture_output=True, text=True, env=env, timeout=300)
        # the progress bar of the reading writes to stderr too (carriage returns): the message is its own line
        lines = [ln for ln in run.stderr.replace("\r", "\n").splitlines()
                 if ln.strip() and not ln.startswith("reading predictions")]
        assert run.returncode == 1, (name, run.returncode, run.stderr[-2000:])
        assert "Traceback" not in run.stderr, (name, run.stderr[-2000:])
        assert len(lines) == 1 and lines[0].startswith(f"errorscope analyze: error: {folder}"), (name, lines)


#: the full run also passes every CLI_EVERY-th case through ``errorscope analyze``
CLI_EVERY = 12


def _cli_outcome(path: Path, folder: Path) -> tuple[str, str]:
    """``value`` (exit 0), ``error`` (exit 1 and one error line), else ``traceback``/``crash``/``hang``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    try:
        run = subprocess.run([sys.executable, "-m", "errorscope", "analyze", str(path), "--out", str(folder / "out"),
                              "--quiet"], check=False, capture_output=True, text=True, env=env,
                             timeout=CASE_TIMEOUT * 2)
    except subprocess.TimeoutExpired:
        return "hang", "analyze did not finish"
    if "Traceback" in run.stderr:
        return "traceback", run.stderr[-500:]
    if run.returncode < 0:
        return "crash", f"signal {-run.returncode}"
    if run.returncode == 0:
        return "value", ""
    lines = [ln for ln in run.stderr.replace("\r", "\n").splitlines()
             if ln.strip() and not ln.startswith("reading predictions")]
    if run.returncode == 1 and len(lines) == 1 and lines[0].startswith("errorscope analyze: error: "):
        return "error", lines[0][:200]
    return "unnamed", f"exit {run.returncode}: {run.stderr[-500:]}"


class _Worker:
    """A subprocess reading case numbers and answering one JSON line each; restarted after a hang or crash."""

    def __init__(self, n_random: int):
        self.n_random = n_random
        self.proc = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz._worker", str(SEED), str(self.n_random)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, cwd=ROOT, env=env)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)
        json.loads(self._line(600.0))

    def _line(self, timeout: float) -> str:
        if not self.sel.select(timeout):
            raise TimeoutError
        line = self.proc.stdout.readline()
        if not line:
            raise EOFError
        return line

    def run(self, i: int) -> tuple[str, str]:
        if self.proc is None:
            self.start()
        self.proc.stdin.write(f"{i}\n")
        self.proc.stdin.flush()
        try:
            answer = json.loads(self._line(CASE_TIMEOUT))
            return answer["outcome"], answer["detail"]
        except TimeoutError:
            self.stop()
            return "hang", f"no answer after {CASE_TIMEOUT:.0f} s"
        except EOFError:
            code = self.proc.wait()
            self.proc = None
            return "crash", f"worker exited with {code}"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # the worker this test started, by its own handle
            self.proc.wait()
            self.proc = None


@pytest.mark.fuzz
@pytest.mark.skipif(not FUZZ, reason="the full fuzz corpus runs with ERRORSCOPE_FUZZ=1 (marker 'fuzz')")
def test_full_corpus():
    """All >= 1,400 cases, each in a worker subprocess with a 60 s timeout: 0 tracebacks, hangs, crashes,
    silent accepts, refused valid inputs. Prints the outcome counts (and writes them to
    ``$ERRORSCOPE_FUZZ_REPORT`` when set)."""
    cases = build_corpus(SEED, FULL_RANDOM)
    assert len(cases) >= 1400
    worker = _Worker(FULL_RANDOM)
    counts: collections.Counter = collections.Counter()
    by_family: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    failures = []
    start = time.perf_counter()
    try:
        for i, case in enumerate(cases):
            outcome, detail = worker.run(i)
            counts[outcome] += 1
            family = case.name.split(":")[0] + ":" + Path(case.name.split(":")[1]).suffix
            by_family[family][outcome] += 1
            if outcome in BAD:
                failures.append(f"{case.name}: {outcome}: {detail}")
    finally:
        worker.stop()
    api_seconds = time.perf_counter() - start
    cli_counts: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(0, len(cases), CLI_EVERY):
            folder = Path(tmp) / f"c{i}"
            folder.mkdir()
            outcome, detail = _cli_outcome(cases[i].build(folder), folder)
            cli_counts[outcome] += 1
            if outcome in BAD:
                failures.append(f"CLI {cases[i].name}: {outcome}: {detail}")
            shutil.rmtree(folder, ignore_errors=True)
    report = {"cases": len(cases), "api_seconds": round(api_seconds, 1), "api_counts": dict(counts),
              "by_family": {k: dict(v) for k, v in sorted(by_family.items())},
              "cli_cases": sum(cli_counts.values()), "cli_counts": dict(cli_counts), "failures": failures}
    print(json.dumps(report, indent=1))
    if os.environ.get("ERRORSCOPE_FUZZ_REPORT"):
        Path(os.environ["ERRORSCOPE_FUZZ_REPORT"]).write_text(json.dumps(report, indent=1))
    assert not failures, "\n".join(failures)
