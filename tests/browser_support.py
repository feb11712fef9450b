"""A real Streamlit server and a real Chromium for the browser tests (``test_browser_*``).

:class:`AppServer` runs ``streamlit run app.py`` on a free local port with the environment a
test gives (variables set to ``None`` are removed), waits for its health check and stops it;
:func:`chromium` launches Debian's Chromium through Playwright for a module's tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from hotspots import render

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(render.CHROMIUM)
CHROMIUM_ARGS = render.CHROMIUM_ARGS  # the exports' own browser settings


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """``streamlit run app.py`` on 127.0.0.1; :meth:`start` again after :meth:`stop` restarts
    it on a new port (``url`` follows)."""

    def __init__(self, log: Path, env: Mapping[str, str | None]) -> None:
        self.log_path, self.overrides = log, dict(env)
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> str:
        port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for name, value in self.overrides.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        self.log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.headless", "true", "--server.port", str(port),
                "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
                "--browser.gatherUsageStats", "false",
            ],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return self.url
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("streamlit did not start:\n" + self.log_path.read_text())
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()


def serve(log: Path, env: Mapping[str, str | None]) -> Iterator[str]:
    """For a fixture: ``yield from serve(...)`` gives the app's URL and stops it after."""
    server = AppServer(log, env)
    try:
        yield server.start()
    finally:
        server.stop()


def chromium() -> Iterator[object]:
    """For a fixture: ``yield from chromium()`` gives a headless Playwright ``Browser``."""
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield b
        finally:
            b.close()
