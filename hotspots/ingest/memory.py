"""Handing freed memory back to the system once a large read is done.

Validating a block allocates and frees hundreds of megabytes of short-lived arrays. The
allocators keep freed memory for reuse: Arrow's pool (mimalloc or jemalloc) for a while, and
glibc's malloc in holes of its heap that it returns only when asked. Between the blocks of
a read that reuse is what we want: on a virtual machine every page handed over fresh by the
system costs microseconds to fault in and zero (a third of the time of reading 10 million
calls went there when memory was handed back after every block). Once a read is done,
:func:`release_freed` asks both allocators to return what they keep unused, so the process
does not stay larger than what it holds. It costs a few milliseconds and changes nothing
else.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import pyarrow as pa


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or ``None`` on other C libraries (musl, macOS, Windows)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        fn = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
    return fn


def release_freed() -> None:
    """Return to the system the memory Arrow's pool and malloc keep after frees."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
