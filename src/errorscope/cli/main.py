"""Entry point of the ``errorscope`` command.

Each sub-command lives in its own module under :mod:`errorscope.cli.commands` and defines
``register(subparsers)``, which adds its parser and sets ``func`` to a function taking the parsed arguments
and returning an exit code. Modules are discovered, so adding a command means adding one file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from .. import __version__
from .._safe import printable
from ..exceptions import ErrorscopeError


def build_parser() -> argparse.ArgumentParser:
    from . import commands

    parser = argparse.ArgumentParser(
        prog="errorscope",
        description="Explain why ImageNet classifiers fail: ImageNet-X factors, ReaL / multi-label accuracy, "
        "error taxonomy. ImageNet-X annotations are CC BY-NC 4.0.",
    )
    parser.add_argument("--version", action="version", version=f"errorscope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ErrorscopeError as exc:
        # the message may quote a model name read from a file: escape control characters, keep its lines
        text = "\n".join(printable(line) for line in str(exc).split("\n"))
        print(f"errorscope {args.command}: error: {text}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # pragma: no cover
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
