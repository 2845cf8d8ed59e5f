"""The command tree takes its options from the library: one default, one meaning, help everywhere.

Walks every sub-command's argparse parser (nested ``store`` commands included) and checks that
- every option has help text;
- an option that stands for a library option (``--which``, ``--error-type``, ``--missing``, ``--labels``, ...)
  has the library's default and choices (:mod:`errorscope.options`);
- one option name means one thing across sub-commands: the same destination, type and choices everywhere, and
  ``--out`` is always a folder.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import pytest

from errorscope import options
from errorscope.cli.main import build_parser


def _commands(parser: argparse.ArgumentParser, prefix: str = ""):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix} {name}".strip()
                yield path, sub
                yield from _commands(sub, path)


COMMANDS = dict(_commands(build_parser()))


def _options():
    for path, parser in COMMANDS.items():
        for action in parser._actions:
            if action.option_strings and not isinstance(action, (argparse._HelpAction,
                                                                  argparse._SubParsersAction)):
                yield path, action


#: Options that stand for a library option: (default, choices) from errorscope.options.
LIBRARY = {
    "which": (options.DEFAULT_WHICH, options.WHICH),
    "error_type": (options.DEFAULT_ERROR_TYPE, options.ERROR_TYPES),
    "missing": (options.DEFAULT_MISSING, options.MISSING),
    "real_empty": (options.DEFAULT_REAL_EMPTY, options.MISSING),
    "labels": (options.DEFAULT_LABELS, options.LABEL_SOURCES),
}


def test_the_tree_has_the_commands():
    assert {"analyze", "taxonomy", "compare", "report", "plots", "demo", "aggregate", "store list",
            "store add", "store export"} <= set(COMMANDS)


@pytest.mark.parametrize("path,action", [pytest.param(p, a, id=f"{p} {a.option_strings[0]}")
                                         for p, a in _options()])
def test_every_option_has_help(path, action):
    assert action.help and action.help.strip() and action.help != argparse.SUPPRESS, \
        f"`errorscope {path} {action.option_strings[0]}` has no help text"


def test_library_options_take_the_library_defaults_and_choices():
    seen = set()
    for path, action in _options():
        if action.dest not in LIBRARY:
            continue
        default, choices = LIBRARY[action.dest]
        seen.add(action.dest)
        assert tuple(action.choices) == tuple(choices), f"{path} {action.option_strings}: choices {action.choices}"
        if action.nargs in ("+", "*"):  # a list option defaults to every choice (aggregate: both files)
            assert list(action.default) == list(choices), f"{path} {action.option_strings}: {action.default}"
        else:
            assert action.default == default, f"{path} {action.option_strings}: default {action.default!r}"
    assert seen == set(LIBRARY)


def test_one_option_name_means_one_thing():
    by_name = defaultdict(list)
    for path, action in _options():
        for name in action.option_strings:
            if name.startswith("--"):
                by_name[name].append((path, action))
    clashes = []
    for name, uses in by_name.items():
        dests = {a.dest for _, a in uses}
        types = {getattr(a.type, "__name__", repr(a.type)) for _, a in uses}
        choices = {tuple(a.choices) if a.choices is not None else None for _, a in uses}
        if len(dests) > 1 or len(types) > 1 or len(choices) > 1:
            clashes.append(f"{name}: " + "; ".join(f"{p} (dest={a.dest}, type={a.type}, choices={a.choices})"
                                                    for p, a in uses))
    assert not clashes, "one option name, several meanings:\n" + "\n".join(clashes)


def test_out_is_always_a_folder():
    uses = [(p, a) for p, a in _options() if "--out" in a.option_strings]
    assert len(uses) >= 6
    for path, action in uses:
        text = (action.help or "").lower()
        assert ("folder" in text or "directory" in text) and "file to write" not in text, (path, action.help)


def test_the_cli_and_the_library_compare_against_the_same_population():
    from errorscope.cli.commands.compare import DEFAULT_GROUPS
    from errorscope.imagenetx import DEFAULT_POPULATION, POPULATIONS, resolve_groups

    assert DEFAULT_GROUPS == list(POPULATIONS[DEFAULT_POPULATION]) == resolve_groups(None)
    groups = COMMANDS["compare"]._option_string_actions["--groups"]
    assert groups.default is None  # None -> resolve_groups(None) in the library: one owner of the default
