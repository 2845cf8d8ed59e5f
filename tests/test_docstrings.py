"""The public API's docstrings follow numpydoc, checked with ``numpydoc.validate`` (as scikit-learn's
``test_docstrings.py`` does).

Every name a public package lists in ``__all__`` that is a function or a class is validated, and so is every
public method and property a public class defines. Only the checks in ``CHECKS`` fail the test; the others
numpydoc knows are left out on purpose, each for the reason given in ``IGNORED``.

Data classes whose instances the library builds (results, indexes, counts) document their fields in an
``Attributes`` section rather than ``Parameters``: for a class whose ``__init__`` the ``dataclasses`` module
generated, a field named under ``Attributes`` counts as documented for PR01. A ``typing.Protocol`` is never
constructed, so its inherited ``(*args, **kwargs)`` needs no Parameters section.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate", reason="numpydoc is a test dependency (pip install numpydoc)")
from numpydoc.docscrape import ClassDoc  # noqa: E402

PUBLIC_PACKAGES = [
    "errorscope",
    "errorscope.metrics",
    "errorscope.imagenetx",
    "errorscope.datasets",
    "errorscope.results",
    "errorscope.taxonomy",
    "errorscope.store",
    "errorscope.plots",
    "errorscope.report",
    "errorscope.readers",
    "errorscope.torch",
    "errorscope.pairwise",
]

#: The numpydoc checks that must pass.
CHECKS = {
    "GL01": "docstring text starts on the line after the opening quotes or on the same line, consistently",
    "GL02": "closing quotes on their own line",
    "GL03": "no double blank lines",
    "GL05": "no tabs",
    "GL06": "only known section names",
    "GL07": "sections in the numpydoc order",
    "GL08": "every public object has a docstring",
    "GL09": "deprecation warning placed after the summary",
    "GL10": "reST directives have a double colon",
    "SS01": "a summary line",
    "SS02": "the summary starts with a capital letter",
    "SS03": "the summary ends with a period",
    "SS04": "the summary has no leading whitespace",
    "PR01": "every parameter of the signature is documented",
    "PR02": "no documented parameter the signature does not have",
    "PR03": "parameters documented in signature order",
    "PR04": "every documented parameter has a type",
    "PR10": "a space before the colon between a parameter's name and type",
    "RT01": "a Returns section where the function returns something",
    "RT02": "the first line of a single return value is its type",
    "YD01": "a Yields section for a generator",
    "SA02": "See Also descriptions end with a period",
    "SA03": "See Also descriptions are capitalised",
    "SA04": "every See Also reference has a description",
}

#: The numpydoc checks left out, with the reason.
IGNORED = {
    "ES01": "an extended summary is not required for short helpers whose summary says it all",
    "SA01": "See Also sections are optional; the package pages in docs/ link related functions",
    "EX01": "Examples are optional; the ones that exist run in tests/test_docstring_examples.py",
    "SS05": "properties and classes have noun-phrase summaries ('Number of ...'), not infinitive verbs",
    "SS06": "a summary may wrap onto a second line when the name of a published table needs the room",
    "PR05": "type descriptions may end with a period after a shape or unit",
    "PR06": "'int' / 'str' / 'bool' spelling is not enforced beyond what readers need",
    "PR07": "a parameter whose name and type say everything (e.g. ``pop : Population``) may go undescribed",
    "PR08": "descriptions may start with a code literal or a number",
    "PR09": "descriptions may end with a code literal",
    "RT03": "a return value whose type names it (e.g. ``Analysis``) may go undescribed",
    "RT04": "return descriptions may start with a code literal",
    "RT05": "return descriptions may end with a code literal",
}


def _public_objects() -> list[str]:
    paths: list[str] = []
    for package in PUBLIC_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ImportError:  # an optional sub-package (errorscope.pairwise) that this checkout does not have
            continue
        for name in module.__all__:
            if name.startswith("_"):
                continue
            try:
                obj = getattr(module, name)
            except ImportError:  # errorscope.torch needs torch; its names load lazily
                continue
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            paths.append(f"{package}.{name}")
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if inspect.isfunction(member) or isinstance(member, property):
                        paths.append(f"{package}.{name}.{attr}")
    return sorted(set(paths))


PUBLIC_OBJECTS = _public_objects()


def _resolve(path: str) -> object:
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = inspect.getattr_static(obj, part) if inspect.isclass(obj) else getattr(obj, part)
        return obj
    raise ImportError(path)


def _dataclass_attributes(obj: object) -> set[str]:
    """Field names documented under Attributes, for a class whose ``__init__`` dataclasses generated."""
    if not (inspect.isclass(obj) and dataclasses.is_dataclass(obj)):
        return set()
    init = obj.__dict__.get("__init__")
    if init is None or not obj.__dataclass_params__.init or init.__code__.co_filename != "<string>":
        return set()  # a hand-written __init__ documents its own Parameters
    names: set[str] = set()
    for item in ClassDoc(obj, config={"show_class_members": False})["Attributes"]:
        names.update(name.strip() for name in item.name.split(","))  # "x, y : float" documents x and y
    return names


def _errors(path: str) -> list[tuple[str, str]]:
    result = numpydoc_validate.validate(path)
    obj = _resolve(path)
    documented = _dataclass_attributes(obj)
    errors = []
    for code, message in result["errors"]:
        if code not in CHECKS:
            continue
        if code == "PR01" and inspect.isclass(obj) and getattr(obj, "_is_protocol", False):
            continue  # a typing.Protocol is never constructed: its (*args, **kwargs) is typing's, not ours
        if code == "PR01" and documented:
            missing = set(eval(message[message.index("{"):message.rindex("}") + 1]))  # noqa: S307 (numpydoc's own repr)
            missing -= documented
            if not missing:
                continue
            message = f"Parameters {sorted(missing)} not documented"
        errors.append((code, message))
    return errors


def test_every_numpydoc_check_is_either_enforced_or_ignored_with_a_reason() -> None:
    assert not set(CHECKS) & set(IGNORED)
    known = set(numpydoc_validate.ERROR_MSGS)
    assert set(CHECKS) <= known, set(CHECKS) - known
    # a check a newer numpydoc adds must be classified here, not silently skipped
    assert known <= set(CHECKS) | set(IGNORED), sorted(known - set(CHECKS) - set(IGNORED))
    assert set(IGNORED) <= known, set(IGNORED) - known


def test_the_walk_finds_the_public_api() -> None:
    # the walk itself must not go empty (which would let every docstring pass)
    for expected in ("errorscope.metrics.wilson_interval", "errorscope.imagenetx.FactorCounts",
                     "errorscope.taxonomy.classify", "errorscope.results.analyze", "errorscope.store.ResultStore"):
        assert expected in PUBLIC_OBJECTS
    assert len(PUBLIC_OBJECTS) > 150


def test_the_validation_catches_an_undocumented_parameter(tmp_path, monkeypatch) -> None:
    (tmp_path / "docmod_probe.py").write_text(
        'def f(a, b):\n    """Add two numbers.\n\n    Parameters\n    ----------\n    a : int\n        First.\n\n'
        '    Returns\n    -------\n    int\n        The sum.\n    """\n    return a + b\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert [code for code, _ in _errors("docmod_probe.f")] == ["PR01"]


@pytest.mark.parametrize("path", PUBLIC_OBJECTS)
def test_docstring(path: str) -> None:
    errors = _errors(path)
    assert not errors, f"{path}:\n" + "\n".join(f"  {code}: {message}" for code, message in errors)
