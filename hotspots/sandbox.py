"""Run a function in a child process with a memory and a time limit.

Parsing an uploaded file is the one step of the app whose cost the user controls: a workbook
that unpacks to gigabytes, a table with 200,000 columns. :func:`run_limited` runs such a step
(``hotspots.io.read_incidents`` and friends) in a child process started by a fork server (a
fresh, small interpreter: never a fork of the multi-threaded server), with

- a memory limit: the child's resident memory is watched (``/proc/<pid>/statm``, every
  0.05 s) and the child killed past ``memory_bytes``; and, as a backstop that needs no
  watching, ``RLIMIT_AS`` (address space) is set in the child to ``address_space_bytes``
  (by default 2.5 times ``memory_bytes``, at least 4 GB: address space runs about 2.8 times
  the resident memory when pandas parses a 50 MB CSV), so an allocation past it raises
  ``MemoryError`` there. Either way the server keeps its memory;
- a time limit: the child is killed (SIGKILL) after ``seconds``.

The child never imports the parent's ``__main__``: under ``streamlit run`` that is the app's
script (Streamlit puts it in ``sys.modules["__main__"]``), which must not run again in a child.

The function's result comes back pickled (a :class:`hotspots.validation.IngestResult` with
its GeoDataFrames pickles as is). User errors (:class:`hotspots.errors.InputError`,
``ParameterError``) are raised again in the parent with their message; running out of memory
or time raises :class:`LimitExceeded` (an ``InputError``) with one line naming the limit.

Examples
--------
>>> import math
>>> run_limited(math.sqrt, 16.0, seconds=30)
4.0
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import time
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from hotspots.errors import InputError, ParameterError

T = TypeVar("T")

#: Default memory limit of a child: its resident memory, bytes.
MEMORY_BYTES = 1536 * 1024**2
#: Smallest address-space limit (``RLIMIT_AS``) of a child, bytes: libraries, thread stacks and
#: the allocator's reserves count there (2.1 GB of it for a 50 MB CSV using 750 MB of memory).
MIN_ADDRESS_SPACE = 4 * 1024**3
#: How often the child's resident memory is read, seconds.
WATCH_EVERY = 0.05
#: Default time limit of a child, seconds.
SECONDS = 120.0
#: Modules the fork server imports once, so each child starts without importing them.
PRELOAD = ("hotspots.io",)

_CONTEXT: Any = None
_NAME = "hotspots-sandbox"
_PLACEHOLDER = types.ModuleType("__mp_main__")


class LimitExceeded(InputError):
    """The child ran out of its memory or time, or died: the message is one line."""


@dataclass(frozen=True)
class Limits:
    """Limits of a child process.

    Attributes
    ----------
    memory_bytes : int
        Resident-memory limit of the child, bytes; 0 for none.
    seconds : float
        Wall-clock limit, seconds; the child is killed after it.
    """

    memory_bytes: int = MEMORY_BYTES
    seconds: float = SECONDS


def _no_main_in_children() -> None:
    """Make :mod:`multiprocessing` leave ``__main__`` alone in the sandbox's children.

    Its preparation data tells a child to import the parent's main module (by path, or by
    name); for processes named :data:`_NAME` both entries are dropped, so nothing but the
    function's own module is imported. Other processes are not affected.
    """
    from multiprocessing import spawn

    orig = spawn.get_preparation_data
    if getattr(orig, "_hotspots_sandbox", False):
        return

    def get_preparation_data(name: str) -> dict:
        data = orig(name)
        if name == _NAME:
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data

    get_preparation_data._hotspots_sandbox = True  # type: ignore[attr-defined]
    spawn.get_preparation_data = get_preparation_data


def _forget_script_module() -> None:
    """Drop :mod:`multiprocessing`'s alias of the main module.

    On import, :mod:`multiprocessing` keeps ``sys.modules["__mp_main__"] =
    sys.modules["__main__"]``. Imported during a Streamlit run, that is the run's script
    module, whose globals (the app's data set, an upload's frames) it would keep alive for the
    life of the server. The sandbox's children never import the main module
    (:func:`_no_main_in_children`) and nothing here unpickles objects of ``__main__``, so an
    empty module takes its place.
    """
    main = sys.modules.get("__mp_main__")
    if main is not None and main is not _PLACEHOLDER:
        sys.modules["__mp_main__"] = _PLACEHOLDER


def _context() -> Any:
    """The fork-server context (one per process, started on first use)."""
    global _CONTEXT
    _forget_script_module()
    if _CONTEXT is None:
        _no_main_in_children()
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(method)
        if method == "forkserver":
            ctx.set_forkserver_preload(list(PRELOAD))
        _CONTEXT = ctx
    return _CONTEXT


class _Report:
    """The child's ``progress(fraction, what)``: sends ``("progress", fraction, what)``."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def __call__(self, fraction: float, what: str = "") -> None:
        self.conn.send(("progress", float(fraction), str(what)))


def _child(
    conn: Any, fn: Callable[..., Any], args: tuple, kwargs: dict, memory: int, report: bool = False
) -> None:
    """Child entry point: limit the address space, call, send ("ok", value) or an error
    (with ``report``, ``fn`` gets ``progress=`` sending its progress first)."""
    try:
        if memory > 0:
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            cap = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        if report:
            kwargs = {**kwargs, "progress": _Report(conn)}
        value = fn(*args, **kwargs)
        conn.send(("ok", value))
    except MemoryError:
        conn.send(("memory", ""))
    except (InputError, ParameterError) as exc:
        conn.send(("user", (type(exc).__name__, str(exc))))
    except BaseException as exc:  # noqa: BLE001 - anything else is reported, one line
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        try:
            conn.send(("other", last))
        except Exception:  # noqa: BLE001
            pass
    finally:
        conn.close()


def _resident(pid: int | None) -> int:
    """Resident memory of process ``pid``, bytes (0 when it is gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE = resource.getpagesize()


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def run_limited(
    fn: Callable[..., T],
    *args: Any,
    memory_bytes: int | None = None,
    address_space_bytes: int | None = None,
    seconds: float | None = None,
    what: str = "reading the file",
    progress: Callable[[float, str], None] | None = None,
    **kwargs: Any,
) -> T:
    """``fn(*args, **kwargs)`` in a child process with a memory and a time limit.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to the child), e.g.
        ``hotspots.io.read_incidents``.
    *args, **kwargs
        Its arguments (pickled: bytes, ``io.BytesIO``, frames and plain values are fine).
    memory_bytes : int, optional
        Resident-memory limit of the child, bytes (default :data:`MEMORY_BYTES`; 0: none);
        the child is killed past it.
    address_space_bytes : int, optional
        ``RLIMIT_AS`` of the child, bytes (default: 2.5 x ``memory_bytes``, at least
        :data:`MIN_ADDRESS_SPACE`; 0: none).
    seconds : float, optional
        Time limit, seconds (default :data:`SECONDS`); the child is killed after it.
    what : str
        What the child does, for the messages ("reading calls.csv").
    progress : callable, optional
        ``progress(fraction, what)``, called here as the child reports; ``fn`` must then take
        a ``progress`` keyword (as :func:`hotspots.io.read_incidents` does).

    Returns
    -------
    The function's value.

    Raises
    ------
    LimitExceeded
        The child needed more memory than ``memory_bytes``, ran longer than ``seconds`` or
        died; one line naming the limit.
    InputError, ParameterError
        Raised by ``fn``: raised again here with the same message.
    """
    memory = MEMORY_BYTES if memory_bytes is None else int(memory_bytes)
    if address_space_bytes is None:
        space = max(MIN_ADDRESS_SPACE, int(2.5 * memory)) if memory > 0 else 0
    else:
        space = int(address_space_bytes)
    limit_s = SECONDS if seconds is None else float(seconds)
    over_memory = LimitExceeded(
        f"{what} needed more than the {_mb(memory or space)} of memory allowed (to protect "
        "the server); upload a smaller file (fewer rows or columns) or save it as CSV"
    )
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child,
        args=(child, fn, args, kwargs, space, progress is not None),
        name=_NAME,
        daemon=True,
    )
    proc.start()
    child.close()
    try:
        deadline = time.monotonic() + limit_s
        message = None
        while True:
            if parent.poll(WATCH_EVERY):
                try:
                    message = parent.recv()
                except (EOFError, OSError):
                    message = None
                    break
                if message[0] == "progress":
                    if progress is not None:
                        progress(message[1], message[2])
                    message = None
                    continue
                break
            if memory > 0 and _resident(proc.pid) > memory:
                raise over_memory
            if time.monotonic() > deadline or not proc.is_alive() and not parent.poll(0):
                if proc.is_alive():
                    raise LimitExceeded(
                        f"{what} took longer than {limit_s:,.0f} s, the limit that protects "
                        "the server; upload a smaller file (fewer rows or columns) or save it "
                        "as CSV"
                    )
                break
        try:
            if message is None:
                raise EOFError
            status, payload = message
        except (EOFError, OSError):
            proc.join(5)
            raise LimitExceeded(
                f"{what} stopped (exit {proc.exitcode}), most likely past the "
                f"{_mb(memory or space)} memory limit that protects the server; upload a "
                "smaller file (fewer rows or columns) or save it as CSV"
            ) from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
        if hasattr(proc, "close"):
            try:
                proc.close()
            except ValueError:
                pass
    if status == "ok":
        return payload
    if status == "memory":
        raise over_memory
    if status == "user":
        kind, message = payload
        raise (ParameterError if kind == "ParameterError" else InputError)(message)
    raise LimitExceeded(f"{what} failed: {payload}")


def table_preview(
    src: Any, rows: int = 5, progress: Callable[[float, str], None] | None = None, **kwargs: Any
) -> tuple[list[str], Any, Any]:
    """Headers, first ``rows`` rows and the columns detected from the values
    (:func:`hotspots.ingest.detect.detect` on the whole table), for the column mapping form;
    a module function so :func:`run_limited` can run it in a child.

    Returns
    -------
    (list of str, pandas.DataFrame, hotspots.columns.ColumnMap)
    """
    from hotspots.ingest.detect import detect
    from hotspots.readers import read_table

    if progress is not None:
        progress(0.0, "reading")
    raw = read_table(src, **kwargs)
    if progress is not None:
        progress(0.7, "finding the columns")
    found = detect(raw.frame, kind="incidents", source=raw.source).columns
    if progress is not None:
        progress(1.0, "done")
    return list(raw.headers), raw.frame.head(rows).copy(), found


def table_head(src: Any, rows: int = 5, **kwargs: Any) -> tuple[list[str], Any]:
    """The headers and first ``rows`` rows of :func:`hotspots.readers.read_table` (a module
    function, so :func:`run_limited` can run it in a child and send back only what a column
    mapping form shows, not the whole table).

    Returns
    -------
    (list of str, pandas.DataFrame)
    """
    from hotspots.readers import read_table

    raw = read_table(src, **kwargs)
    return list(raw.headers), raw.frame.head(rows).copy()
