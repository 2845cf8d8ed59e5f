"""The core install never imports torch, torchvision, timm or ray."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")
HEAVY = ("torch", "torchvision", "timm", "ray", "PIL")

SCRIPT = """
import contextlib, io, json, sys
import errorscope
import errorscope.inference, errorscope.torch
from errorscope.cli.main import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main(["--help"])
    except SystemExit:
        pass
    try:
        main(["predict", "--help"])
    except SystemExit:
        pass
print(json.dumps({"loaded": sorted(m for m in sys.modules if m.split(".")[0] in %r),
                  "help": out.getvalue()}))
""" % (HEAVY,)


def test_import_and_help_do_not_import_torch():
    env = {**os.environ, "PYTHONPATH": SRC}
    res = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True)
    data = json.loads(res.stdout.strip().splitlines()[-1])
    assert data["loaded"] == []
    assert "predict" in data["help"] and "--models-from" in data["help"]
