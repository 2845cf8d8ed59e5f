"""The download path, for real, against an HTTP server on 127.0.0.1 serving files of the data mirror."""

from __future__ import annotations

import http.server
import re
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from errorscope import resources
from errorscope.exceptions import ChecksumError, ResourceError
from errorscope.resources import ResourceSpec, fetch, get_spec, list_resources, resource_path, sha256_of

pytestmark = pytest.mark.network

NAME = "real/golden.npz"  # 9,756 bytes
BIG = "imagenetx/model_predictions/base/ViT.csv"  # 2.4 MB: several reads per transfer


class _Handler(http.server.BaseHTTPRequestHandler):
    """``/good/<name>`` the file; ``/corrupt/<name>`` one byte flipped; ``/half/<name>`` closes after half the
    bytes; ``/flaky/<name>`` half on the first request, whole afterwards; ``/missing/<name>`` 404."""

    root: Path
    hits: dict

    def do_GET(self):  # noqa: N802 - http.server API
        mode, name = self.path.lstrip("/").split("/", 1)
        self.hits[(mode, name)] = self.hits.get((mode, name), 0) + 1
        path = self.root / name
        if mode == "missing" or not path.is_file():
            self.send_error(404)
            return
        data = bytearray(path.read_bytes())
        if mode == "corrupt":
            data[len(data) // 2] ^= 0xFF
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if mode == "half" or (mode == "flaky" and self.hits[(mode, name)] == 1):
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(bytes(data))

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture()
def server(data_dir):
    handler = type("Handler", (_Handler,), {"root": data_dir, "hits": {}})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.hits
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    """An empty cache and no mirror."""
    monkeypatch.setenv("ERRORSCOPE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ERRORSCOPE_DATA_DIR", raising=False)
    return tmp_path / "cache"


def _serve(monkeypatch, base: str, mode: str, *names: str) -> dict[str, ResourceSpec]:
    """Point the manifest entries ``names`` at the local server (other entries unchanged)."""
    manifest = {s.name: s for s in list_resources()}
    for name in names:
        manifest[name] = replace(manifest[name], url=f"{base}/{mode}/{name}")
    monkeypatch.setattr(resources, "_manifest", lambda: manifest)
    return manifest


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_good_download_lands_in_cache_and_is_reused_offline(server, cache, monkeypatch, data_dir):
    base, hits = server
    _serve(monkeypatch, base, "good", BIG)
    path = resource_path(BIG, progress=False)
    assert path == cache / BIG
    assert sha256_of(path) == get_spec(BIG).sha256 == sha256_of(data_dir / BIG)
    assert _files(cache) == [path]  # no temporary file left over
    assert hits[("good", BIG)] == 1
    # the network is gone: the cached copy is used without a request
    _serve(monkeypatch, "http://127.0.0.1:9", "good", BIG)
    assert resource_path(BIG, download=False) == path
    assert resource_path(BIG) == path
    assert hits[("good", BIG)] == 1


def test_corrupt_download_raises_checksum_error_and_keeps_nothing(server, cache, monkeypatch):
    base, hits = server
    _serve(monkeypatch, base, "corrupt", NAME)
    with pytest.raises(ChecksumError) as info:
        resource_path(NAME, progress=False)
    err = info.value
    assert err.name == NAME and err.expected == get_spec(NAME).sha256
    assert re.fullmatch(r"[0-9a-f]{64}", err.actual) and err.actual != err.expected
    assert NAME in str(err) and err.expected in str(err) and err.actual in str(err)
    assert hits[("corrupt", NAME)] == 1  # a complete but wrong file is not downloaded again
    assert _files(cache) == []


def test_interrupted_transfer_is_retried(server, cache, monkeypatch):
    base, hits = server
    _serve(monkeypatch, base, "flaky", BIG)
    path = resource_path(BIG, progress=False)
    assert hits[("flaky", BIG)] == 2
    assert sha256_of(path) == get_spec(BIG).sha256
    assert _files(cache) == [path]


def test_transfer_that_keeps_failing_raises_and_leaves_no_partial_file(server, cache, monkeypatch):
    base, hits = server
    _serve(monkeypatch, base, "half", BIG)
    with pytest.raises(ResourceError, match=r"Could not download data resource .*ViT\.csv.* after 3 attempts.*"
                       r"transfer ended after 1,191,299 of 2,382,599 bytes") as info:
        resource_path(BIG, progress=False)
    assert not isinstance(info.value, ChecksumError)
    assert hits[("half", BIG)] == 3
    assert _files(cache) == []


def test_http_404_raises_resource_error(server, cache, monkeypatch):
    base, _ = server
    _serve(monkeypatch, base, "missing", NAME)
    with pytest.raises(ResourceError, match=r"HTTP Error 404"):
        resource_path(NAME, progress=False)
    assert _files(cache) == []


def test_download_false_names_both_places(cache):
    with pytest.raises(ResourceError, match=r"not on this machine.*ERRORSCOPE_DATA_DIR \(unset\).*errorscope data fetch"):
        resource_path(NAME, download=False)


def test_mirror_wins_over_cache(server, cache, monkeypatch, data_dir):
    base, hits = server
    _serve(monkeypatch, base, "good", NAME)
    cached = resource_path(NAME, progress=False)
    assert cached == cache / NAME
    monkeypatch.setenv("ERRORSCOPE_DATA_DIR", str(data_dir))
    assert resource_path(NAME) == data_dir / NAME
    assert resources.where(NAME) == ("mirror", data_dir / NAME)
    assert fetch([NAME], progress=False) == [data_dir / NAME]
    assert hits[("good", NAME)] == 1


def test_fetch_force_downloads_again_and_verify_reports_corruption(server, cache, monkeypatch):
    base, hits = server
    _serve(monkeypatch, base, "good", NAME)
    [path] = fetch([NAME], progress=False)
    assert resources.verify([NAME]) == {NAME: "ok"}
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))  # same size: only the hash tells
    assert resources.verify([NAME])[NAME] == f"corrupt: {sha256_of(path)}"
    fetch([NAME], force=True, progress=False)
    assert hits[("good", NAME)] == 2
    assert resources.verify([NAME]) == {NAME: "ok"}


@pytest.mark.slow
def test_every_mirror_file_has_the_manifest_hash_and_size(data_dir):
    """All 145 required resources (and the optional published co-occurrence pairs) are in the mirror, each
    byte-identical to what the manifest pins."""
    checked = 0
    for spec in list_resources():
        path = data_dir / spec.name
        if not path.is_file():
            assert spec.optional, f"required resource {spec.name} is missing from the mirror"
            continue
        assert path.stat().st_size == spec.size, spec.name
        assert sha256_of(path) == spec.sha256, spec.name
        checked += 1
    assert sum(not s.optional for s in list_resources()) == 145
    assert checked == 146  # the 145 required files and eth_error_analysis/common_cooccurrence_pairs.csv


def test_manifest_urls_are_pinned_to_commits():
    for spec in list_resources():
        assert spec.url.startswith("https://"), spec.name
        if not spec.optional:
            assert re.search(r"/[0-9a-f]{40}/", spec.url), f"{spec.name}: URL not pinned to a commit: {spec.url}"
        assert re.fullmatch(r"[0-9a-f]{64}", spec.sha256) and spec.size > 0 and spec.license and spec.citation


def test_cli_fetch_downloads_then_reports_present(server, cache, monkeypatch, capsys):
    from errorscope.cli.main import main

    base, hits = server
    _serve(monkeypatch, base, "good", NAME)
    assert main(["data", "fetch", NAME, "--no-progress"]) == 0
    assert capsys.readouterr().out.splitlines()[2].split() == [NAME, "downloaded", str(cache / NAME)]
    assert main(["data", "fetch", NAME]) == 0
    assert capsys.readouterr().out.splitlines()[2].split() == [NAME, "present", str(cache / NAME)]
    assert main(["data", "verify", NAME]) == 0
    assert hits[("good", NAME)] == 1
    _serve(monkeypatch, base, "corrupt", NAME)
    assert main(["data", "fetch", NAME, "--force", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "sha256 mismatch for resource 'real/golden.npz'" in err and get_spec(NAME).sha256 in err
    assert sha256_of(cache / NAME) == get_spec(NAME).sha256  # the good copy was not replaced
