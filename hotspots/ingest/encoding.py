"""Text encoding, decided per line: UTF-8 first, cp1251 only where a line needs it.

A file that is valid UTF-8 (with or without a BOM) is used as it is. A file with a few
invalid lines - a download cut mid-character, one line pasted from a cp1251 export - keeps
every valid line as UTF-8; each invalid line is read as cp1251 when that gives Cyrillic text,
and is otherwise marked as ``bad_encoding`` (its record is rejected with that reason, its
text kept with U+FFFD where the bytes were). Only when most lines need cp1251 is the whole
file read as cp1251 (an old Windows export). UTF-16 files are recognised by their BOM.

:func:`to_utf8` returns UTF-8 bytes in every case, so the CSV parser never sees another
encoding, and counts how many lines each encoding read.
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass, field

import numpy as np

from hotspots.errors import InputError

#: Invalid lines met before deciding whether the whole file is another encoding.
_PROBE_ERRORS = 16
_CYRILLIC = re.compile("[\u0400-\u04ff]")
# cp1251 decodes nearly every byte; text with C0 controls or Latin-1 look-alikes is not
# Cyrillic prose
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Decoded:
    """UTF-8 content and what each line was read as.

    Attributes
    ----------
    data : bytes
        The content as UTF-8 (BOM removed).
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"`` (had a BOM), ``"utf-16"``, ``"cp1251"`` (whole file),
        ``"utf-8+cp1251"`` (some lines cp1251) or the encoding given.
    bad_offsets : ndarray of int
        Byte offsets in ``data`` of the lines that are not valid in any encoding tried (their
        text is kept with U+FFFD); the records holding them are rejected as ``bad_encoding``.
    counts : dict
        Lines read per encoding: ``{"utf-8": 8690, "cp1251": 1, "bad_encoding": 1}``.
    """

    data: bytes
    encoding: str
    bad_offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    counts: dict[str, int] = field(default_factory=dict)


def reads_as_cyrillic(text: str) -> bool:
    """True when ``text`` holds Cyrillic letters and no control characters."""
    return bool(_CYRILLIC.search(text)) and not _CONTROL.search(text)


def _whole(raw: bytes, enc: str, name: str) -> str:
    try:
        return raw.decode(enc)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} is not valid {enc} (byte {exc.start}); try --encoding cp1251 or utf-8"
        ) from None


def to_utf8(
    raw: bytes, name: str = "input", encoding: str | None = None, *, count_lines: bool = True
) -> Decoded:
    """Decode ``raw`` line by line as described in the module docstring.

    Parameters
    ----------
    raw : bytes
        File content.
    name : str
        File name, for messages.
    encoding : str, optional
        Decode the whole file with this encoding instead (errors are an :class:`InputError`).
    count_lines : bool, default True
        When ``False`` and ``raw`` is UTF-8 used as it is, ``counts`` is left empty: the
        caller counts the lines (the record finder does, in the same pass over the bytes,
        which :func:`utf8_lines` turns into the counts).
    """
    if not isinstance(raw, bytes):  # a mapped file: valid UTF-8 is used where it lies
        mapped = None if encoding else _valid_utf8(raw, count_lines)
        if mapped is not None:
            return mapped
        raw = bytes(raw)  # anything to convert: the bytes path below
    if not (count_lines or encoding or raw.startswith(_BOMS)) and _first_invalid_utf8(raw) is None:
        return Decoded(raw, "utf-8")
    lines_total = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r} (try utf-8 or cp1251)") from None
        text = _whole(raw, encoding, name).lstrip("\ufeff")
        return Decoded(text.encode("utf-8"), encoding, counts={encoding: lines_total})
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _whole(raw, "utf-16", name).lstrip("\ufeff")
        return Decoded(text.encode("utf-8"), "utf-16", counts={"utf-16": lines_total})
    enc = "utf-8"
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
        enc = "utf-8-sig"
    bad_at = _first_invalid_utf8(raw)
    if bad_at is not None:
        return _mixed(raw, enc, bad_at, lines_total)
    return Decoded(raw, enc, counts={"utf-8": lines_total})


#: Bytes looked at a time in a mapped file (a reused buffer, not a file-sized one).
_SCAN = 8 << 20


_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)


def utf8_stream(stream, name: str):
    """``(stream, wide)``: a stream starting with a UTF-16 byte-order mark (Excel's "Unicode
    text") as one of UTF-8 bytes, decoded as it is read, and ``wide=True``; any other as it
    is. The block reader cuts blocks at line-break bytes, which UTF-16 spreads over two: as
    UTF-8, a large UTF-16 file is cut, parsed and checked like any other, in bounded memory.
    """
    if not stream.seekable():  # (every stream of source.open_stream is)
        return stream, False
    head = stream.read(2)
    stream.seek(0)
    if head not in _BOMS[:2]:
        return stream, False
    return _Utf16AsUtf8(stream, name), True


class _Utf16AsUtf8(io.RawIOBase):
    """A UTF-16 stream read as UTF-8 bytes. A piece read may end inside a character (the
    decoder keeps it for the next); invalid UTF-16 is the one-line error of a whole read."""

    def __init__(self, raw, name: str) -> None:
        self._raw, self._name, self._at = raw, name, 0
        self._decoder = codecs.getincrementaldecoder("utf-16")()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while True:
            data = self._raw.read(size if size is not None and size >= 0 else -1)
            held = len(self._decoder.getstate()[0])  # bytes of a character begun before
            try:
                text = self._decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                at = self._at - held + exc.start  # in the file, as a whole read counts
                raise InputError(
                    f"{self._name} is not valid UTF-16 (byte {at}); save it "
                    "again as UTF-8, or try --encoding cp1251 or utf-8"
                ) from None
            self._at += len(data)
            if text or not data:  # (half a character so far: read on; b"" is the end)
                return text.encode("utf-8")

    def close(self) -> None:
        self._raw.close()
        super().close()


def utf8_lines(newlines: int, data) -> dict[str, int]:
    """The ``counts`` of text that is all UTF-8, from the ``\n`` bytes it holds (a last line
    without a break counted too)."""
    ends_with_break = len(data) > 0 and data[-1:] == b"\n"
    return {"utf-8": newlines + (0 if ends_with_break else 1)}


def _valid_utf8(raw, count_lines: bool = True) -> Decoded | None:
    """``raw`` (a mapped file) as it is when it is UTF-8 without a BOM, else ``None``."""
    head = bytes(raw[:4])
    if head.startswith(_BOMS) or _first_invalid_utf8(raw) is not None:
        return None
    if not count_lines:
        return Decoded(raw, "utf-8")
    return Decoded(raw, "utf-8", counts=utf8_lines(count_newlines(raw), raw))


def count_newlines(data) -> int:
    """``\n`` bytes in ``data``, compared a chunk at a time into one reused buffer (NumPy
    counts without holding the GIL; a file-sized boolean array would double the memory)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    tmp = np.empty(min(_SCAN, len(buf)), dtype=bool)
    total = 0
    for a in range(0, len(buf), _SCAN):
        part = buf[a : a + _SCAN]
        total += int(np.count_nonzero(np.equal(part, 10, out=tmp[: len(part)])))
    return total


def _is_ascii(raw) -> bool:
    if isinstance(raw, bytes | bytearray):  # a C loop, word by word (NumPy's max is 10x slower)
        return raw.isascii()
    buf = np.frombuffer(raw, dtype=np.uint8)
    return all(int(buf[a : a + _SCAN].max()) < 128 for a in range(0, len(buf), _SCAN))


def _first_invalid_utf8(raw: bytes, block: int = 8 << 20) -> int | None:
    """Offset of the first byte that is not valid UTF-8, or ``None``.

    Checked block by block with an incremental decoder, so no copy of the whole text is
    ever held (a 1 GB file would otherwise need another 1 GB as a str).
    """
    if _is_ascii(raw):
        return None
    dec = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    for start in range(0, len(raw), block):
        pending = len(dec.getstate()[0])  # bytes of a character cut by the last block
        try:
            dec.decode(view[start : start + block], final=start + block >= len(raw))
        except UnicodeDecodeError as exc:
            return max(0, start - pending + exc.start)
    return None


def _line_bounds(raw: bytes, pos: int) -> tuple[int, int]:
    start = raw.rfind(b"\n", 0, pos) + 1
    end = raw.find(b"\n", pos)
    return start, (len(raw) if end < 0 else end)


def _fix_line(line: bytes) -> tuple[bytes, str]:
    """The line as UTF-8 and what read it: ``"utf-8"``, ``"cp1251"`` or ``"bad_encoding"``."""
    try:
        line.decode("utf-8")
        return line, "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = line.decode("cp1251")
    except UnicodeDecodeError:
        text = ""
    if text and reads_as_cyrillic(text):
        return text.encode("utf-8"), "cp1251"
    return line.decode("utf-8", errors="replace").encode("utf-8"), "bad_encoding"


def _mixed(raw: bytes, enc: str, first_error: int, lines_total: int) -> Decoded:
    """Line-by-line decoding of a file that is not valid UTF-8 as a whole."""
    # the first invalid lines decide between "a few bad lines" and "another encoding"
    parts: list[bytes] = []
    fixed: dict[str, list[int]] = {"cp1251": [], "bad_encoding": []}  # output byte offsets
    pos, err, seen, out_len = 0, first_error, 0, 0
    while err is not None and seen < _PROBE_ERRORS:
        start, end = _line_bounds(raw, err)
        line, how = _fix_line(raw[start:end])
        parts += [raw[pos:start], line]
        out_len += start - pos
        fixed[how].append(out_len)
        out_len += len(line)
        pos, seen = end, seen + 1
        try:
            raw[pos:].decode("utf-8")
            err = None
        except UnicodeDecodeError as exc:
            err = pos + exc.start
    if err is not None:
        # many invalid lines: check the whole file line by line
        rest = raw[pos:].split(b"\n")
        out = []
        for line in rest:
            good, how = _fix_line(line)
            if how != "utf-8":
                fixed[how].append(out_len)
            out.append(good)
            out_len += len(good) + 1
        parts.append(b"\n".join(out))
    else:
        parts.append(raw[pos:])
    bad_share = (len(fixed["cp1251"]) + len(fixed["bad_encoding"])) / max(lines_total, 1)
    if bad_share > 0.5:  # most lines are not UTF-8: an old Windows export
        try:
            text = raw.decode("cp1251")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            return Decoded(text.encode("utf-8"), "cp1251", counts={"cp1251": lines_total})
    n_cp, n_bad = len(fixed["cp1251"]), len(fixed["bad_encoding"])
    counts = {"utf-8": lines_total - n_cp - n_bad}
    if n_cp:
        counts["cp1251"] = n_cp
    if n_bad:
        counts["bad_encoding"] = n_bad
    label = f"{enc}+cp1251" if n_cp else enc
    return Decoded(
        b"".join(parts), label, np.asarray(sorted(fixed["bad_encoding"]), dtype=np.int64), counts
    )
