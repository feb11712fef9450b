"""Serving a basemap file to the browser from this machine: no tile server to install.

:class:`TileServer` is a small HTTP server in a background thread of the app's process. It
answers ``GET /basemap/<id>.pmtiles`` with byte ranges of the PMTiles file (HTTP 206, what
the browser's PMTiles reader asks for) and ``GET /basemap/<id>/<z>/<x>/<y>.<ext>`` with one
tile of an MBTiles (or raster PMTiles) file. It serves only the files registered with it,
under an opaque id, never a path from the request; it listens on the app's own address
(``localhost`` unless the app is served on a network on purpose) and allows cross-origin
reads, since the map runs in the app's component frame on another port.
"""

from __future__ import annotations

import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Final

from hotspots.basemap.archive import Basemap, open_basemap

_RANGE: Final = re.compile(r"^bytes=(\d*)-(\d*)$")
_PATH: Final = re.compile(
    r"^/basemap/([0-9a-f]{16})(?:\.pmtiles|/(\d{1,2})/(\d{1,8})/(\d{1,8})\.(png|jpg|webp|mvt))$"
)
_MIME: Final = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp",
                "mvt": "application/vnd.mapbox-vector-tile"}


class TileServer:
    """Serve registered basemap files over HTTP from a background thread.

    Parameters
    ----------
    host : str
        Address to listen on (the app's ``server.address``; ``localhost`` by default).
    port : int
        Port; 0 picks a free one.

    Examples
    --------
    >>> from hotspots.sample import SAMPLE_DIR
    >>> server = TileServer()
    >>> url = server.url_for(SAMPLE_DIR / "basemap.pmtiles")
    >>> url.startswith("http://{host}:") and url.endswith(".pmtiles")
    True
    >>> server.close()
    """

    def __init__(self, host: str = "localhost", port: int = 0) -> None:
        self._files: dict[str, Basemap] = {}
        handler = _handler_for(self._files)
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="hotspots-tiles", daemon=True
        )
        self._thread.start()

    def url_for(self, path: str | Path) -> str:
        """Register ``path`` and return its URL; ``{host}`` stands for the page's host name
        (replaced in the browser), so the URL works wherever the app is opened from."""
        bm = open_basemap(path)
        key = hashlib.sha256(str(bm.path.resolve()).encode()).hexdigest()[:16]
        self._files[key] = bm
        base = f"http://{{host}}:{self.port}/basemap/{key}"
        if bm.container == "pmtiles" and bm.vector:
            return base + ".pmtiles"
        return base + "/{z}/{x}/{y}." + bm.tile_format

    def close(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler_for(files: dict[str, Basemap]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # one line per tile would flood the app's log

        def _cors(self) -> None:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "Range, If-Match")
            self.send_header("Access-Control-Expose-Headers", "Content-Range, ETag, Content-Length")

        def _reply(self, status: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "public, max-age=3600")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_OPTIONS(self) -> None:  # noqa: N802 - the HTTP verb
            self.send_response(204)
            self._cors()
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_HEAD(self) -> None:  # noqa: N802
            self.do_GET()

        def do_GET(self) -> None:  # noqa: N802
            match = _PATH.match(self.path.split("?", 1)[0])
            bm = files.get(match.group(1)) if match else None
            if bm is None:
                self._reply(404, b"not found", "text/plain")
                return
            if match.group(2) is None:
                self._file_range(bm.path)
                return
            z, x, y = (int(match.group(i)) for i in (2, 3, 4))
            data = bm.tile(z, x, y)
            if data is None:
                self._reply(204 if bm.vector else 404, b"", "text/plain")
                return
            self._reply(200, data, _MIME.get(match.group(5), "application/octet-stream"))

        def _file_range(self, path: Path) -> None:
            size = path.stat().st_size
            etag = f'"{int(path.stat().st_mtime_ns)}-{size}"'
            wanted = _RANGE.match(self.headers.get("Range", "").strip())
            if not wanted or (not wanted.group(1) and not wanted.group(2)):
                self._reply(200, path.read_bytes(), "application/octet-stream", {"ETag": etag})
                return
            first, last = wanted.group(1), wanted.group(2)
            if first:
                start, end = int(first), min(int(last) if last else size - 1, size - 1)
            else:  # "bytes=-N": the last N bytes
                start, end = max(size - int(last), 0), size - 1
            if start >= size or start > end:
                self._reply(416, b"", "text/plain", {"Content-Range": f"bytes */{size}"})
                return
            with open(path, "rb") as f:
                f.seek(start)
                body = f.read(end - start + 1)
            self._reply(
                206,
                body,
                "application/octet-stream",
                {"Content-Range": f"bytes {start}-{end}/{size}", "Accept-Ranges": "bytes",
                 "ETag": etag},
            )

    return Handler
