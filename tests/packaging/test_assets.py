"""The page's files on the wire (in process): 404 for what is not a file of the page,
gzip only for clients that take it, validators and revalidation, Plotly.js compressed once
and cached a year at its versioned URL; and a server without its page refuses to start."""
from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from pathlib import Path

import brotli
import pytest
from fastapi.testclient import TestClient

from server.assets import IMMUTABLE, Assets, PageMissing, accepts, installed_page_dir
from server.main import create_app
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PAGE = Path(installed_page_dir())
GZIP = {"accept-encoding": "gzip"}
IDENTITY = {"accept-encoding": "identity"}


def raw(client: TestClient, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and the body as it crossed the wire (not decoded)."""
    with client.stream("GET", path, headers=headers) as r:
        return r.status_code, dict(r.headers), b"".join(r.iter_raw())


def plotly_src(client: TestClient) -> str:
    match = re.search(r'<script src="(/vendor/plotly\.min\.js\?v=[^"]+)"', client.get("/").text)
    assert match, "index.html names Plotly.js by a versioned URL"
    return match.group(1)


def test_the_page_is_the_installed_package():
    assert PAGE.is_dir() and (PAGE / "index.html").is_file() and (PAGE / "js" / "main.js").is_file()
    assert Settings().static_dir == str(PAGE)


@pytest.mark.parametrize("path", [
    "/static/js/no-such.js", "/static/no-such/dir/x.css", "/static/", "/static", "/static/js", "/static/js/",
    "/static/__init__.py", "/static/.hidden.js", "/static/../server/main.py", "/static/%2e%2e/server/main.py",
    "/static/js/..%2f..%2fserver%2fmain.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd",
    "/static/js/%00.js", "/static/js\\main.js", "/static/index.html/x",
])
def test_what_is_not_a_file_of_the_page_is_404(client, path):
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code, r.text[:200])
    assert r.json()["detail"]


def test_a_missing_file_is_404_even_when_the_folder_has_only_the_page(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    with TestClient(create_app(Settings(static_dir=str(tmp_path)))) as c:
        assert c.get("/static/js/main.js").status_code == 404
        assert c.get("/").status_code == 200


@pytest.mark.parametrize("path", ["/", "/static/js/main.js", "/static/css/main.css"])
def test_text_is_gzipped_when_accepted_and_only_then(client, path):
    name = "index.html" if path == "/" else path.removeprefix("/static/")
    source = (PAGE / name).read_bytes()
    status, headers, body = raw(client, path, GZIP)
    assert status == 200 and headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert len(body) < len(source) / 2 and int(headers["content-length"]) == len(body)
    if path != "/":  # index.html gets Plotly's version written in
        assert gzip.decompress(body) == source
    for refused in (IDENTITY, {"accept-encoding": "gzip;q=0"}, {"accept-encoding": "deflate"}, {"accept-encoding": ""}):
        status, headers, body = raw(client, path, refused)
        assert status == 200 and "content-encoding" not in headers and headers["vary"] == "Accept-Encoding"
        if path != "/":
            assert body == source


@pytest.mark.parametrize("path", ["/", "/static/js/main.js"])
def test_brotli_is_preferred_where_offered(client, path):
    status, headers, body = raw(client, path, {"accept-encoding": "gzip, deflate, br"})
    assert status == 200 and headers["content-encoding"] == "br" and headers["vary"] == "Accept-Encoding"
    gzipped = raw(client, path, GZIP)[2]
    assert len(body) < len(gzipped) and brotli.decompress(body) == gzip.decompress(gzipped)
    status, headers, _ = raw(client, path, {"accept-encoding": "gzip, br;q=0"})
    assert headers["content-encoding"] == "gzip"


def test_accept_encoding_is_read_as_http_says():
    assert accepts("gzip, deflate, br", "gzip") and accepts("deflate, GZIP;q=0.5", "gzip") and accepts("*", "gzip")
    assert not accepts("identity", "gzip") and not accepts("gzip;q=0", "gzip") and not accepts("br, deflate", "gzip")
    assert accepts("gzip, deflate, br", "br") and accepts("*", "br") and not accepts("gzip, deflate", "br")


def test_plotly_is_compressed_validated_and_cached_a_year(client):
    src = plotly_src(client)
    status, headers, body = raw(client, src, GZIP)
    assert status == 200 and headers["content-encoding"] == "gzip" and "javascript" in headers["content-type"]
    assert headers["cache-control"] == IMMUTABLE and headers["vary"] == "Accept-Encoding"
    assert len(body) < 2_000_000 and gzip.decompress(body).startswith(b"/**")
    etag = headers["etag"]
    for conditional in ({**GZIP, "if-none-match": etag}, {**IDENTITY, "if-none-match": f'"x", {etag}'}):
        status, again, body = raw(client, src, conditional)
        assert status == 304 and body == b"" and again["etag"] == etag and again["cache-control"] == IMMUTABLE
    assert raw(client, src, {**GZIP, "if-none-match": '"other"'})[0] == 200
    # Any other URL of it (an old version's, or none) is served too, but revalidated.
    status, headers, _ = raw(client, "/vendor/plotly.min.js?v=old", GZIP)
    assert status == 200 and headers["cache-control"] == "no-cache" and headers["etag"] == etag


def test_plotly_is_compressed_once_per_process():
    first = Assets(installed_page_dir()).plotly()
    assert first is not None and set(first.encoded) == {"br", "gzip"}
    assert Assets(installed_page_dir()).plotly() is first  # every app shares it: not compressed again


def test_the_page_revalidates_and_an_edit_shows_at_once(tmp_path):
    shutil.copytree(PAGE, tmp_path / "page")
    main_js = tmp_path / "page" / "js" / "main.js"
    with TestClient(create_app(Settings(static_dir=str(tmp_path / "page")))) as c:
        first = c.get("/static/js/main.js")
        assert first.headers["cache-control"] == "no-cache" and first.headers["last-modified"]
        assert c.get("/static/js/main.js", headers={"if-none-match": first.headers["etag"]}).status_code == 304
        main_js.write_text(main_js.read_text() + "\n// edited\n")
        edited = c.get("/static/js/main.js", headers={"if-none-match": first.headers["etag"]})
        assert edited.status_code == 200 and edited.text.endswith("// edited\n")
        assert edited.headers["etag"] != first.headers["etag"]


def test_the_security_headers_stay_on_the_page_files(client):
    for path in ("/", "/static/js/main.js", plotly_src(client)):
        headers = raw(client, path, GZIP)[1]
        assert "script-src 'self'" in headers["content-security-policy"] and headers["x-content-type-options"] == "nosniff"


def test_no_page_no_app(tmp_path):
    with pytest.raises(PageMissing, match=re.escape(str(tmp_path))):
        create_app(Settings(static_dir=str(tmp_path)))


@pytest.mark.slow
def test_no_page_no_server_in_one_line(tmp_path):
    env = {"MLP_PLAYGROUND_STATIC_DIR": str(tmp_path), "MLP_PLAYGROUND_STORE": "memory",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "server", "--port", "0", "--no-browser"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlp-playground: the page is missing"), done.stderr
    assert str(tmp_path) in lines[0] and "MLP_PLAYGROUND_STATIC_DIR" in lines[0]


def test_the_api_json_is_gzipped_when_accepted(client, new_session):
    sid = new_session()["id"]
    path = f"/api/sessions/{sid}/boundary?resolution=50"
    status, headers, body = raw(client, path, GZIP)
    assert status == 200 and headers["content-encoding"] == "gzip" and "Accept-Encoding" in headers["vary"]
    plain = raw(client, path, IDENTITY)
    assert plain[0] == 200 and "content-encoding" not in plain[1] and gzip.decompress(body) == plain[2]
    assert len(body) < len(plain[2]) / 2
