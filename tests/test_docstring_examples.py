"""The Examples sections of the docstrings run as tests, one test per module of the package.

Every module must import without its optional extras (heavy dependencies are imported inside functions),
so this also checks that the core install imports cleanly.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import errorscope

MODULES = sorted(m.name for m in pkgutil.walk_packages(errorscope.__path__, prefix="errorscope.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (output above)"
