"""Download limits against a hostile HTTP server on 127.0.0.1: an endless stream is cut at the declared size,
a trickle at the deadline, and no ``.part`` file is left behind (issue 13)."""

from __future__ import annotations

import http.client
import http.server
import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from errorscope import resources
from errorscope.exceptions import ResourceError
from errorscope.resources import get_spec, resource_path, sha256_of
from errorscope.resources import _fetch
from errorscope.resources._fetch import DEADLINE_ENV, SIZE_MARGIN, deadline_for, download_file

pytestmark = pytest.mark.network

NAME = "real/golden.npz"  # 9,756 bytes


class _Hostile(http.server.BaseHTTPRequestHandler):
    """``/endless`` streams zeros without end (no Content-Length); ``/liar`` announces 1 GB; ``/drip`` sends the
    real file one byte every 50 ms; ``/good`` the file; anything else 404."""

    root: Path
    sent: dict
    protocol_version = "HTTP/1.0"

    def do_GET(self):  # noqa: N802 - http.server API
        mode = self.path.strip("/")
        data = (self.root / NAME).read_bytes()
        if mode not in ("good", "liar", "endless", "drip"):
            self.sent["404"] = self.sent.get("404", 0) + 1
            self.send_error(404)
            return
        self.send_response(200)
        if mode == "liar":
            self.send_header("Content-Length", str(10**9))
        elif mode in ("good", "drip"):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.sent[mode] = 0
        try:
            if mode == "good":
                self.wfile.write(data)
            elif mode in ("endless", "liar"):
                block = b"\0" * 65536
                while self.sent[mode] < 50 * 2**20:  # stops by itself after 50 MB, so a failing test ends
                    self.wfile.write(block)
                    self.sent[mode] += len(block)
            elif mode == "drip":
                for i in range(len(data)):
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    self.sent[mode] += 1
                    time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):  # the client hung up: what the test wants
            pass

    def log_message(self, *args):
        pass


@pytest.fixture()
def server(data_dir):
    handler = type("Handler", (_Hostile,), {"root": data_dir, "sent": {}})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.sent
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _spec(base: str, mode: str):
    return replace(get_spec(NAME), url=f"{base}/{mode}")


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_deadline_default_and_env(monkeypatch):
    monkeypatch.delenv(DEADLINE_ENV, raising=False)
    assert deadline_for(9_756) == 120.0
    assert deadline_for(200_000_000) == 4000.0  # 200 MB at 50 kB/s
    monkeypatch.setenv(DEADLINE_ENV, "2.5")
    assert deadline_for(200_000_000) == 2.5
    for bad in ("0", "-1", "soon", "inf", "nan"):
        monkeypatch.setenv(DEADLINE_ENV, bad)
        with pytest.raises(ResourceError, match=DEADLINE_ENV):
            deadline_for(10)


def test_endless_stream_is_cut_at_the_declared_size(server, tmp_path):
    base, sent = server
    spec = _spec(base, "endless")
    with pytest.raises(ResourceError, match=r"sent more than 75,292 bytes .*declares as 9,756 bytes"):
        download_file(spec, tmp_path / "golden.npz", progress=False)
    assert spec.size + SIZE_MARGIN == 75_292
    assert _left(tmp_path) == []
    # one attempt only (not retried), and the client stopped reading long before the server's 50 MB
    time.sleep(0.2)
    assert sent["endless"] < 8 * 2**20


def test_announced_size_above_the_cap_is_refused_before_reading(server, tmp_path):
    base, _ = server
    with pytest.raises(ResourceError, match=r"announces 1,000,000,000 bytes .*refused before reading"):
        download_file(_spec(base, "liar"), tmp_path / "golden.npz", progress=False)
    assert _left(tmp_path) == []


def test_trickle_is_cut_at_the_deadline(server, tmp_path, monkeypatch):
    base, sent = server
    monkeypatch.setenv(DEADLINE_ENV, "1")
    start = time.monotonic()
    with pytest.raises(ResourceError, match=rf"did not finish within 1 s .* of 9,756 bytes received.*{DEADLINE_ENV}"):
        download_file(_spec(base, "drip"), tmp_path / "golden.npz", progress=False)
    elapsed = time.monotonic() - start
    assert elapsed < 30  # not a timing assertion on speed: the 9,756-byte trickle alone takes 488 s
    assert 0 < sent["drip"] < 9_756
    assert _left(tmp_path) == []


def test_keyboard_interrupt_leaves_no_part_file(server, tmp_path, monkeypatch):
    base, _ = server
    real = http.client.HTTPResponse.read1
    calls = []

    def interrupted(self, n=-1):
        calls.append(n)
        if len(calls) > 1:
            assert _left(tmp_path) == [f".golden.npz.{os.getpid()}.part"]  # it was there while downloading
            raise KeyboardInterrupt
        return real(self, 100)

    monkeypatch.setattr(http.client.HTTPResponse, "read1", interrupted)
    with pytest.raises(KeyboardInterrupt):
        download_file(_spec(base, "good"), tmp_path / "golden.npz", progress=False)
    assert len(calls) == 2
    assert _left(tmp_path) == []


def test_stale_part_files_are_removed_by_the_next_download(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.setenv("ERRORSCOPE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ERRORSCOPE_DATA_DIR", raising=False)
    monkeypatch.delenv(DEADLINE_ENV, raising=False)
    folder = tmp_path / "cache" / "real"
    folder.mkdir(parents=True)
    stale, fresh, other = folder / ".golden.npz.999999.part", folder / ".other.npz.4.part", folder / "keep.part"
    for p in (stale, fresh, other):
        p.write_bytes(b"x" * 100)
    old = time.time() - 121  # older than the 120 s deadline of a 9.7 KB file
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    manifest = {s.name: s for s in resources.list_resources()} | {NAME: _spec(base, "good")}
    monkeypatch.setattr(resources, "_manifest", lambda: manifest)
    path = resource_path(NAME, progress=False)
    assert sha256_of(path) == get_spec(NAME).sha256
    # the stale one is gone; one written 0 s ago may belong to a running download; a file not named like ours stays
    assert _left(folder) == sorted([fresh.name, other.name, "golden.npz"])


def test_http_404_is_not_retried(server, tmp_path):
    base, sent = server
    with pytest.raises(ResourceError, match=r"after 1 attempt: HTTP Error 404"):
        download_file(_spec(base, "missing"), tmp_path / "golden.npz", progress=False)
    assert sent["404"] == 1
    assert _left(tmp_path) == []


def test_module_limits_are_the_documented_numbers():
    assert (_fetch.SIZE_MARGIN, _fetch.MIN_DEADLINE_S, _fetch.MIN_RATE, _fetch.TIMEOUT_S) == (65536, 120.0, 50_000, 60)
