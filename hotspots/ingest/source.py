"""Bytes from a path, an upload or a compressed download, within a size limit.

:func:`open_source` is the only place ingest touches the file system for delimited text. It
undoes one layer of compression (``.gz``, ``.bz2``, ``.xz``, ``.zip``), so
``crimes.csv.gz`` from an open-data portal is read as ``crimes.csv``. Decompression streams in
blocks and stops as soon as ``max_bytes`` is passed, so a small "zip bomb" cannot fill the
memory before it is refused.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import mmap
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import IO

from hotspots.errors import InputError

Source = str | Path | IO[bytes] | bytes

#: Suffixes of compressed files and what opens them.
COMPRESSED = (".gz", ".bz2", ".xz", ".zip")
#: About how many bytes of text a compressed byte holds (CSV packs 4-10x): sizes of blocks
#: and of arrays are guessed from it before the text is read.
PACKED_TEXT_RATIO = 4
#: Block read at a time while decompressing.
_BLOCK = 16 << 20


@dataclass(frozen=True)
class Opened:
    """A source resolved to bytes (or left on disk).

    Attributes
    ----------
    name : str
        The name the format is told from: the inner name of a compressed file
        (``calls.csv`` for ``calls.csv.gz``, the member's name for a zip).
    path : Path or None
        The file on disk when it was not compressed and came as a path (spatial and Excel
        readers open it themselves).
    data : bytes or None
        The content, when it came as bytes/a stream or was decompressed.
    compression : str or None
        ``"gzip"``, ``"bz2"``, ``"xz"`` or ``"zip"``.
    outer : str
        The name as given (``calls.csv.gz``), for messages.
    """

    name: str
    path: Path | None
    data: bytes | None
    compression: str | None = None
    outer: str = ""

    def read(self, *, mapped: bool = False) -> bytes | mmap.mmap:
        """The whole content; with ``mapped``, a file on disk is mapped rather than copied.

        A mapped file costs no copy and no fresh memory (its pages are the page cache's),
        which on a 55 MB file is 50 ms of the read; it supports slicing, ``find`` and the
        buffer protocol, not every method of ``bytes``.
        """
        if self.data is not None:
            return self.data
        assert self.path is not None
        if mapped:
            with open(self.path, "rb") as f:
                try:
                    return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                except (ValueError, OSError):  # an empty file, or one that cannot be mapped
                    pass
        return self.path.read_bytes()

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size  # type: ignore[union-attr]


def _name_and_bytes(src: Source) -> tuple[str, Path | None, bytes | None]:
    """File name, path (when on disk) and content (when given as bytes or a stream)."""
    if isinstance(src, bytes | bytearray | memoryview):
        return "input", None, bytes(src)
    if hasattr(src, "read"):
        name = Path(str(getattr(src, "name", "input"))).name
        data = src.getvalue() if hasattr(src, "getvalue") else src.read()
        return name, None, bytes(data)
    path = Path(src)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file")
    return path.name, path, None


def _too_big(name: str, limit: int) -> InputError:
    return InputError(
        f"{name} unpacks to more than {limit / 2**20:,.0f} MB; split it or use "
        "`hotspots ingest` on a machine with more memory"
    )


def _stream(fobj, name: str, limit: int | None) -> bytes:
    """Read a decompressing file object in blocks, refusing past ``limit`` bytes."""
    parts: list[bytes] = []
    total = 0
    while True:
        block = fobj.read(_BLOCK)
        if not block:
            break
        total += len(block)
        if limit is not None and total > limit:
            raise _too_big(name, limit)
        parts.append(block)
    return b"".join(parts)


def _member(zf: zipfile.ZipFile, name: str, member: str | None) -> zipfile.ZipInfo:
    files = [
        i for i in zf.infolist() if not i.is_dir() and not PurePath(i.filename).name.startswith(".")
    ]
    files = [i for i in files if "__MACOSX" not in i.filename]
    if member is not None:
        for info in files:
            if info.filename == member or PurePath(info.filename).name == member:
                return info
        listed = ", ".join(i.filename for i in files[:10]) or "nothing"
        raise InputError(f"{name} has no member {member!r} (it holds {listed}); give --member")
    if len(files) == 1:
        return files[0]
    if not files:
        raise InputError(f"{name} is an empty zip archive")
    listed = ", ".join(i.filename for i in files[:10])
    raise InputError(f"{name} holds {len(files)} files ({listed}); choose one with --member NAME")


def open_source(src: Source, *, member: str | None = None, max_bytes: int | None = None) -> Opened:
    """Resolve ``src`` to its (decompressed) content.

    Parameters
    ----------
    src : str, Path, bytes or binary file object
        The file; a stream needs a ``name`` attribute with the right suffix.
    member : str, optional
        The table to read from a zip archive holding several files.
    max_bytes : int, optional
        Refuse content (after decompression) larger than this many bytes.

    Raises
    ------
    InputError
        Missing file, corrupt archive, several members and no ``member``, or too big.
    """
    name, path, data = _name_and_bytes(src)
    suffix = PurePath(name).suffix.lower()
    if suffix not in COMPRESSED:
        if max_bytes is not None:
            size = len(data) if data is not None else path.stat().st_size  # type: ignore[union-attr]
            if size > max_bytes:
                raise _too_big(name, max_bytes)
        return Opened(name, path, data, None, name)
    inner = name[: -len(suffix)] or "input"
    raw: IO[bytes]
    if data is not None:
        import io

        raw = io.BytesIO(data)
    else:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    try:
        if suffix == ".zip":
            try:
                zf = zipfile.ZipFile(raw)
            except zipfile.BadZipFile:
                raise InputError(f"{name} is not a readable zip archive") from None
            with zf:
                info = _member(zf, name, member)
                if max_bytes is not None and info.file_size > max_bytes:
                    raise _too_big(name, max_bytes)
                with zf.open(info) as f:
                    content = _stream(f, name, max_bytes)
                inner = PurePath(info.filename).name
                kind = "zip"
        else:
            opener = {".gz": gzip.GzipFile, ".bz2": bz2.BZ2File, ".xz": lzma.LZMAFile}[suffix]
            kind = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}[suffix]
            try:
                with opener(fileobj=raw) if suffix == ".gz" else opener(raw) as f:
                    content = _stream(f, name, max_bytes)
            except (OSError, EOFError, lzma.LZMAError) as exc:
                raise InputError(
                    f"{name} is not a readable {kind} file ({str(exc).splitlines()[0][:80]}); "
                    "download it again"
                ) from None
    finally:
        raw.close()
    if PurePath(inner).suffix.lower() in COMPRESSED:
        raise InputError(f"{name} is compressed twice; unpack it once first")
    return Opened(inner, None, content, kind, name)


def open_stream(src: Source, *, member: str | None = None) -> tuple[str, str, IO[bytes], int]:
    """A binary stream of the (decompressed) content, for reading in batches.

    Returns ``(inner name, name as given, stream, size on disk)``; the caller closes the
    stream. Unlike :func:`open_source` nothing is held in memory.
    """
    import io

    name, path, data = _name_and_bytes(src)
    suffix = PurePath(name).suffix.lower()
    raw: IO[bytes] = io.BytesIO(data) if data is not None else open(path, "rb")  # noqa: SIM115
    size = len(data) if data is not None else path.stat().st_size  # type: ignore[union-attr]
    if suffix not in COMPRESSED:
        return name, name, raw, size
    inner = name[: -len(suffix)] or "input"
    if suffix == ".zip":
        try:
            zf = zipfile.ZipFile(raw)
        except zipfile.BadZipFile:
            raw.close()
            raise InputError(f"{name} is not a readable zip archive") from None
        info = _member(zf, name, member)
        return PurePath(info.filename).name, name, zf.open(info), size
    if suffix == ".gz":
        return inner, name, gzip.GzipFile(fileobj=raw), size
    if suffix == ".bz2":
        return inner, name, bz2.BZ2File(raw), size
    return inner, name, lzma.LZMAFile(raw), size
