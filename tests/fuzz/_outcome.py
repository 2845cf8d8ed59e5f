"""Run one corpus case through the readers and classify what happened."""

from __future__ import annotations

from pathlib import Path

from .corpus import Case

#: Outcomes that are failures of the readers.
BAD = ("traceback", "unnamed", "silent_accept", "refused_valid", "wrong_value", "hang", "crash")


def classify(case: Case, path: Path) -> tuple[str, str]:
    """``(outcome, detail)``: ``value`` or ``error`` when the readers behaved, else one of :data:`BAD`."""
    from errorscope.exceptions import IngestError
    from errorscope.readers import UNEXPECTED, read_population, read_predictions

    try:
        result = read_population(path) if path.is_dir() else read_predictions(path)
    except IngestError as exc:
        message = str(exc)
        if UNEXPECTED in message:
            return "traceback", message[:300]  # an exception no reader anticipated, caught by the last net
        if not (exc.path == str(path) or exc.path.startswith(str(path) + "/")):
            return "unnamed", message[:300]
        if "\n" in message:
            return "unnamed", "multi-line message: " + message[:300]
        return ("refused_valid" if case.expect == "accept" else "error"), message[:300]
    except Exception as exc:  # noqa: BLE001 - anything but an IngestError is the defect the fuzz looks for
        return "traceback", f"{type(exc).__name__}: {str(exc)[:300]}"
    if case.expect == "reject":
        return "silent_accept", repr(getattr(result, "model", None) or getattr(result, "models", None))[:200]
    if case.check is not None and not case.check(result):
        return "wrong_value", ""
    return "value", ""
