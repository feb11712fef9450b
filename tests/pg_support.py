"""A throwaway PostgreSQL + PostGIS server for the store tests (not a test module).

:func:`start_postgis` runs Debian's ``initdb`` and ``pg_ctl`` in a temporary folder (as the
``postgres`` user through ``runuser`` when the tests run as root, since PostgreSQL refuses to
run as root), listening on a Unix socket only, and returns a SQLAlchemy URL. When the server
binaries or PostGIS are missing the tests skip with the reason, except in CI
(``HOTSPOTS_REQUIRE_PG=1``, set by ``.ci/run``) where they fail: a database test must never
silently vanish there.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REQUIRE_ENV = "HOTSPOTS_REQUIRE_PG"


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _unavailable(why: str):
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"PostgreSQL/PostGIS required ({REQUIRE_ENV}=1) but {why}")
    pytest.skip(f"PostgreSQL/PostGIS not available: {why} (apt-get install postgresql postgis)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    port: int
    prefix: list[str]
    pg_ctl: str

    @property
    def socket_dir(self) -> Path:
        return self.folder / "sock"

    def url(self, db: str = "hotspots") -> str:
        return f"postgresql://hotspots@/{db}?host={self.socket_dir}&port={self.port}"

    def stop(self) -> None:
        subprocess.run(
            [*self.prefix, self.pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate",
             "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgis() -> Cluster:
    """Start a fresh cluster with a database ``hotspots`` (owner ``hotspots``, trust auth)."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        _unavailable("initdb/pg_ctl not found")
    ext = sorted(glob.glob("/usr/share/postgresql/*/extension/postgis.control"))
    if not ext:
        _unavailable("the PostGIS extension is not installed")
    folder = Path(tempfile.mkdtemp(prefix="hotspots-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    os.chmod(folder, 0o755)
    cluster = Cluster(folder, _free_port(), prefix, pg_ctl)
    data = folder / "data"
    steps = [
        [initdb, "-D", str(data), "-U", "hotspots", "-A", "trust", "-E", "UTF8", "--no-sync"],
        ["mkdir", str(cluster.socket_dir)],
        [
            pg_ctl, "-D", str(data), "-w", "-l", str(folder / "log"), "-o",
            f"-p {cluster.port} -k {cluster.socket_dir} -c listen_addresses='' -c fsync=off",
            "start",
        ],
        [
            _bin("createdb") or "createdb", "-h", str(cluster.socket_dir), "-p",
            str(cluster.port), "-U", "hotspots", "hotspots",
        ],
    ]
    for cmd in steps:
        done = subprocess.run([*prefix, *cmd], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            cluster.stop()
            _unavailable(f"`{' '.join(cmd[:1])}` failed: {done.stderr.strip()[:300]}")
    return cluster


class Databases:
    """Fresh databases on one cluster, each a copy of a template with PostGIS created."""

    def __init__(self, cluster: Cluster) -> None:
        from sqlalchemy import create_engine

        self.cluster = cluster
        self.count = 0
        admin = create_engine(cluster.url("hotspots"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql("CREATE DATABASE tmpl_postgis")
        admin.dispose()
        tmpl = create_engine(cluster.url("tmpl_postgis"), isolation_level="AUTOCOMMIT")
        with tmpl.connect() as c:
            c.exec_driver_sql("CREATE EXTENSION postgis")
        tmpl.dispose()

    def new(self) -> str:
        """The URL of a new, empty database (with PostGIS)."""
        from sqlalchemy import create_engine

        self.count += 1
        name = f"test_{self.count}"
        admin = create_engine(self.cluster.url("hotspots"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE tmpl_postgis")
        admin.dispose()
        return self.cluster.url(name)
