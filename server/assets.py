"""The page's files on the wire: where the installed package keeps them, and how they are sent.

* **Where.** The page's source is the repository's ``static/`` folder; the build maps it
  into the package ``server.static`` (``setup.py``), so :func:`installed_page_dir` finds it
  through :mod:`importlib.resources` in a wheel, an sdist's build and an editable install
  alike (an editable install points at ``static/`` itself, so edits show at once).
  ``MLP_PLAYGROUND_STATIC_DIR`` overrides it (:mod:`server.settings`).
* **What.** Only regular files inside that folder with a known suffix (:data:`MEDIA_TYPES`);
  anything else, a directory, a missing file or a path that climbs out, is ``None``
  (the routes answer 404).
* **How.** Text files (HTML, JS, CSS, SVG, JSON) go compressed to a client whose
  ``Accept-Encoding`` takes it: Brotli where offered (Chromium and Firefox offer it to HTTPS
  and localhost), else gzip (every browser, also over plain HTTP on a LAN), always with
  ``Vary: Accept-Encoding``. Every answer carries a weak ``ETag`` of its content (the same
  for every encoding, which differ only in transfer) and a matching ``If-None-Match`` gets
  ``304``. Compressed bytes are cached: the page's files per (size, modification time), so
  an edit shows on the next request; Plotly.js once per process. The page's files are
  revalidated on every load (``no-cache``); Plotly.js at its versioned URL
  (:meth:`Assets.plotly_url`) is cached for a year (``immutable``), since another version of
  it gets another URL.

Plotly.js (4.8 MB) is most of a first load: gzip (level 9) makes it 1.47 MB, Brotli at
quality 9 1.23 MB in about a second of CPU, once per process. (Quality 10 would save another
0.1 MB for eight seconds of every start; 11 takes over a minute.)
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import importlib.util
import threading
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import brotli

PAGE_PACKAGE = "server.static"
INDEX = "index.html"
PLOTLY_PATH = "/vendor/plotly.min.js"
# index.html names Plotly.js by this; the server writes the versioned URL in its place.
PLOTLY_MARKER = PLOTLY_PATH + "?v=PLOTLY_VERSION"

MEDIA_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}
COMPRESSIBLE = frozenset({".html", ".js", ".mjs", ".css", ".svg", ".json", ".txt"})
REVALIDATE = "no-cache"  # keep a copy, but ask (If-None-Match) before each use
IMMUTABLE = "public, max-age=31536000, immutable"
GZIP_LEVEL = 9  # compressed once and cached, so the smallest output is worth the time
BROTLI_QUALITY = 9  # see the module's docstring
CODINGS = ("br", "gzip")  # the preferred first, when the client takes both


class PageMissing(ValueError):
    """The page's folder has no ``index.html``: the server refuses to start without it."""


def installed_page_dir() -> str:
    """The folder of the page as installed (the package ``server.static``); ``""`` if that
    package is missing, which :func:`require_page` then reports."""
    try:
        root = importlib.resources.files(PAGE_PACKAGE)
    except ModuleNotFoundError:
        return ""
    return str(root) if isinstance(root, Path) else ""  # served from disk, never from a zip


def require_page(static_dir: str) -> Path:
    """``static_dir`` as a resolved folder holding ``index.html``, or :class:`PageMissing`
    saying where the server looked and how to fix it, in one line."""
    folder = Path(static_dir).resolve() if static_dir else None
    if folder is None or not (folder / INDEX).is_file():
        where = f"{INDEX} is not in {folder}" if folder else f"the package {PAGE_PACKAGE} is not installed"
        raise PageMissing(f"the page is missing: {where}; reinstall mlp-playground "
                          "or point MLP_PLAYGROUND_STATIC_DIR at a folder holding the page")
    return folder


def plotly_js() -> Path | None:
    """``plotly/package_data/plotly.min.js`` of the installed package (found without importing it)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


def accepts(accept_encoding: str, coding: str) -> bool:
    """Whether an ``Accept-Encoding`` value takes ``coding`` (by name, or ``*``, with a q above 0)."""
    names = {"gzip": ("gzip", "x-gzip")}.get(coding, (coding,))
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() not in (*names, "*"):
            continue
        q = params.strip()
        if q.lower().startswith("q="):
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def compress(body: bytes, coding: str) -> bytes:
    """``body`` in ``coding`` (one of :data:`CODINGS`), the same bytes every time."""
    if coding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY)
    return gzip.compress(body, GZIP_LEVEL, mtime=0)  # mtime 0: no timestamp in the bytes


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2) of ``If-None-Match`` against our ``etag``."""
    if if_none_match.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in if_none_match.split(","))


@dataclass(frozen=True)
class Asset:
    """One file ready to send: its bytes, their compressed forms (by coding; only those
    smaller than the body), its validators."""

    body: bytes
    encoded: dict[str, bytes]
    media_type: str
    etag: str
    last_modified: str
    cache_control: str
    varies: bool  # has a compressed form for some clients: caches must key on Accept-Encoding

    @classmethod
    def of(cls, body: bytes, suffix: str, mtime: float, cache_control: str) -> "Asset":
        encoded: dict[str, bytes] = {}
        if suffix in COMPRESSIBLE:
            for coding in CODINGS:
                packed = compress(body, coding)
                if len(packed) < len(body):
                    encoded[coding] = packed
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        return cls(body, encoded, MEDIA_TYPES[suffix], f'W/"{digest}"', formatdate(mtime, usegmt=True),
                   cache_control, bool(encoded))

    def answer(self, accept_encoding: str, if_none_match: str,
               cache_control: str | None = None) -> tuple[int, bytes, dict[str, str]]:
        """``(status, body, headers)`` for a GET with these request headers (``cache_control``
        replaces the asset's own)."""
        headers = {"etag": self.etag, "last-modified": self.last_modified,
                   "cache-control": cache_control or self.cache_control}
        if self.varies:
            headers["vary"] = "Accept-Encoding"
        if if_none_match and etag_matches(if_none_match, self.etag):
            return 304, b"", headers
        headers["content-type"] = self.media_type
        for coding, packed in self.encoded.items():
            if accepts(accept_encoding, coding):
                headers["content-encoding"] = coding
                return 200, packed, headers
        return 200, self.body, headers


_plotly_lock = threading.Lock()  # held while Plotly.js is compressed (two seconds or so)
_plotly: list[Asset] = []  # the one compressed Plotly.js of this process, once made
_warming: list[threading.Thread] = []


def plotly_asset() -> Asset | None:
    """Plotly.js, read and compressed once per process (every app of the process shares it)."""
    with _plotly_lock:
        if not _plotly:
            path = plotly_js()
            if path is None:
                return None
            _plotly.append(Asset.of(path.read_bytes(), ".js", path.stat().st_mtime, IMMUTABLE))
        return _plotly[0]


def warm_plotly() -> None:
    """Compress Plotly.js in the background, once per process, so that the first page load
    does not wait for it."""
    with _plotly_lock:
        if _plotly or _warming:
            return
        _warming.append(threading.Thread(target=plotly_asset, name="compress-plotly", daemon=True))
    _warming[0].start()


class Assets:
    """The page's folder and Plotly.js, as :class:`Asset` s (thread-safe; routes call it from
    the thread pool, since reading and compressing is blocking work)."""

    def __init__(self, static_dir: str) -> None:
        self.root = require_page(static_dir)
        self._lock = threading.Lock()  # guards _files
        self._files: dict[str, tuple[tuple[int, int], Asset]] = {}  # relative path -> (stat key, asset)
        warm_plotly()

    def page_file(self, relative: str) -> Asset | None:
        """The page's file at ``relative`` (a URL path below ``/static/``), or ``None`` if
        there is no such servable file."""
        path = self._resolve(relative)
        if path is None:
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_size, stat.st_mtime_ns)
        name = path.relative_to(self.root).as_posix()
        with self._lock:
            cached = self._files.get(name)
            if cached is not None and cached[0] == key:
                return cached[1]
        try:
            body = path.read_bytes()
        except OSError:
            return None
        if name == INDEX:
            body = body.replace(PLOTLY_MARKER.encode(), self.plotly_url().encode())
        asset = Asset.of(body, path.suffix.lower(), stat.st_mtime, REVALIDATE)
        with self._lock:
            self._files[name] = (key, asset)
        return asset

    def plotly(self) -> Asset | None:
        """Plotly.js from the installed ``plotly`` package (:func:`plotly_asset`)."""
        return plotly_asset()

    def plotly_version(self) -> str:
        """What names this Plotly.js in its URL: its ETag's digest (``""`` without plotly)."""
        asset = self.plotly()
        return asset.etag.removeprefix('W/"').rstrip('"') if asset else ""

    def plotly_url(self) -> str:
        return f"{PLOTLY_PATH}?v={self.plotly_version()}"

    def _resolve(self, relative: str) -> Path | None:
        """``root/relative`` if it is a regular file inside ``root`` with a servable suffix."""
        if not relative or "\x00" in relative or "\\" in relative or relative.startswith("/"):
            return None
        parts = relative.split("/")
        if any(p in ("", ".", "..") or p.startswith(".") or p == "__pycache__" for p in parts):
            return None
        path = (self.root / relative).resolve()
        if path.suffix.lower() not in MEDIA_TYPES or not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path
