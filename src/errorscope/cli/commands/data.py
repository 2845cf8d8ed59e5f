"""``errorscope data``: list, verify, fetch the data resources, and show their licences.

Every resource of the manifest is resolved from the mirror (``$ERRORSCOPE_DATA_DIR``), then the user cache
(``$ERRORSCOPE_CACHE``), then downloaded with a sha256 check. The ImageNet-X annotations and the ReaL labels
come from the installed ``imagenet-x`` package (CC BY-NC 4.0 for the annotations).
"""

from __future__ import annotations

import argparse
import sys

from ... import resources
from ...exceptions import ResourceError
from ...resources import imagenetx


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "data", help="list, verify and fetch the data resources; show their licences",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    p = sub.add_parser("list", help="every resource: name, size, licence, where it is (mirror / cache / missing)")
    p.add_argument("--prefix", default="", help="only resources whose name starts with PREFIX (e.g. 'imagenetx/')")
    p.set_defaults(func=run_list)

    p = sub.add_parser("verify", help="check the sha256 of the resources on this machine (exit 1 if any is "
                       "corrupt or a required one is missing)")
    p.add_argument("names", nargs="*", metavar="NAME", help="resources to check (default: all)")
    p.set_defaults(func=run_verify)

    p = sub.add_parser("fetch", help="download resources into the cache (those already present are kept)")
    p.add_argument("names", nargs="*", metavar="NAME", help="resources to fetch")
    p.add_argument("--all", action="store_true", help="fetch every required resource")
    p.add_argument("--force", action="store_true", help="download again even if a copy is present")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_fetch)

    p = sub.add_parser("licenses", aliases=["licences"], help="the licence and citation of each data source")
    p.set_defaults(func=run_licenses)


def human_size(n: int) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...], out=None) -> None:
    out = out or sys.stdout
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header).rstrip(), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in rows:
        print(line.format(*r).rstrip(), file=out)


def _roots() -> str:
    mirror = resources.data_dir()
    return (f"mirror: {mirror if mirror else '(unset; set $' + resources.DATA_DIR_ENV + ')'}; "
            f"cache: {resources.cache_dir()}")


def run_list(args) -> int:
    specs = resources.list_resources(args.prefix)
    if not specs:
        raise ResourceError(f"No data resource name starts with {args.prefix!r}; `errorscope data list` shows all.")
    rows = []
    for spec in specs:
        location, _ = resources.where(spec.name)
        if location == "missing" and spec.optional:
            location = "missing (optional)"
        rows.append((spec.name, human_size(spec.size), spec.license, location))
    _table(rows, ("name", "size", "licence", "where"))
    counts = {k: sum(r[3].startswith(k) for r in rows) for k in ("mirror", "cache", "missing")}
    print(f"\n{len(rows)} resources ({counts['mirror']} in the mirror, {counts['cache']} in the cache, "
          f"{counts['missing']} missing); {_roots()}")
    print(f"Also used: the imagenet-x package's data files ({imagenetx.NOTICE})")
    return 0


def run_verify(args) -> int:
    specs = [resources.get_spec(n) for n in args.names] if args.names else resources.list_resources()
    status = resources.verify([s.name for s in specs])
    rows, failed = [], 0
    for spec in specs:
        state = status[spec.name]
        location, path = resources.where(spec.name)
        if state == "ok":
            shown = "ok"
        elif state == "missing":
            shown = "missing (optional)" if spec.optional else "MISSING"
            failed += not spec.optional
        else:
            shown = "CORRUPT"
            failed += 1
        rows.append((spec.name, shown, location, str(path) if path and shown == "CORRUPT" else ""))
    if any(r[3] for r in rows):
        _table(rows, ("name", "status", "where", "corrupt file"))
    else:
        _table([r[:3] for r in rows], ("name", "status", "where"))
    bad = [(s, status[s.name]) for s in specs if status[s.name].startswith("corrupt")]
    for spec, state in bad:
        print(f"{spec.name}: expected sha256 {spec.sha256}, got {state.split(': ', 1)[1]}", file=sys.stderr)
    n_ok = sum(r[1] == "ok" for r in rows)
    print(f"\n{n_ok} ok, {failed} failed, {len(rows) - n_ok - failed} optional missing; {_roots()}")
    if failed:
        print("Fix: `errorscope data fetch --force NAME` downloads a corrupt or missing file again "
              "(or repair the mirror).", file=sys.stderr)
    return 1 if failed else 0


def run_fetch(args) -> int:
    if args.all and args.names:
        raise ResourceError("Give resource names or --all, not both.")
    if not args.all and not args.names:
        raise ResourceError("Name the resources to fetch, or pass --all; `errorscope data list` shows them.")
    names = None if args.all else list(args.names)
    specs = [resources.get_spec(n) for n in names] if names else [s for s in resources.list_resources() if not s.optional]
    rows = []
    for spec in specs:
        before = None if args.force else resources.local_path(spec.name)
        [path] = resources.fetch([spec.name], force=args.force, progress=not args.no_progress)
        rows.append((spec.name, "present" if before is not None else "downloaded", str(path)))
    _table(rows, ("name", "action", "path"))
    return 0


def run_licenses(args) -> int:
    groups: dict[tuple[str, str, str], int] = {}
    for spec in resources.list_resources():
        key = (spec.group, spec.license, spec.citation)
        groups[key] = groups.get(key, 0) + 1
    print("imagenet-x package (ImageNet-X annotations, prototypes, metaclasses, class list)")
    print(f"  licence:  {imagenetx.LICENSE} (non-commercial use only)")
    print(f"  cite:     {imagenetx.CITATION}")
    print("  ReaL labels shipped in the same package: Apache-2.0; cite Beyer et al., Are we done with ImageNet?, 2020")
    for (group, license_, citation), n in sorted(groups.items()):
        print(f"\n{group}/ ({n} file{'s' * (n != 1)})")
        print(f"  licence:  {license_}")
        print(f"  cite:     {citation}")
    print("\nThe ImageNet images themselves are not distributed; ImageNet's terms of access apply to them.")
    return 0
