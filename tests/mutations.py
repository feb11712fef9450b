"""Damaged CSV call files for the row-accounting tests of ingest (issue 10).

:func:`generate` builds small clean call files in code (``id,lat,lon,date,offense,address``,
40-200 rows, Cyrillic offenses, some addresses quoted because they hold a comma, a few quoted
addresses over two lines) and damages each with one to three mutations: stray quotes, a line
cut in two, a last line cut short (a download cut, perhaps mid-character), one inserted byte
(line feed, carriage return, quote, comma, NUL, a byte >= 0x80, other ASCII), one line in
cp1251, one line of latin-1 symbols, CRLF line endings, a BOM, blank lines, the whole file in
cp1251. Each mutation knows what it did: how many records its lines form, which rows it left
intact (they must be accepted with their exact offense text) and, where the contract fixes
it, the reason the damaged row must be rejected with.

The contract (what the new reader promises; see ``test_ingest_mutations.py``):

- records are the non-blank physical lines after the header (lines end at ``\\r\\n``,
  ``\\n`` or a lone ``\\r``, as in Python's csv module, pandas and Arrow);
- a quote left open at the end of a line joins the following lines into one record only when
  it closes on a later line, the joined record has the header's field count and the swallowed
  lines do not look like records of their own; otherwise the line is one record
  (``malformed_row``) and the next line starts a new one;
- a line that is not UTF-8 is read as cp1251 when that gives Cyrillic letters, otherwise it is
  rejected as ``bad_encoding``.

The records a case expects are checked against :func:`count_records`, a byte-level,
quote-aware record counter written from the contract (not the project's reader), under eight
readings of its wording (:data:`READINGS`). A draw whose outcome the readings disagree on, or
whose outcome differs from the mutation's own bookkeeping, is drawn again, so every case has
one answer that does not depend on how the wording is read.
"""

from __future__ import annotations

import itertools
import random
import re
import unicodedata
from dataclasses import dataclass, field

HEADER = ("id", "lat", "lon", "date", "offense", "address")
OFFENSES = (
    "Хулиганство",
    "Кража",
    "Грабёж",
    "ДТП",
    "Нарушение общественного порядка",
    "Мошенничество",
    "Побои",
    "Вандализм",
    "Угон автомобиля",
)
STREETS = (
    "ул. Абая",
    "пр. Тауке хана",
    "ул. Байтурсынова",
    "мкр. Нурсат",
    "ул. Есим хана",
    "пл. Астана",
    "ул. Жибек жолы",
)
#: latin-1 symbols that are neither letters in cp1251 nor valid UTF-8 on their own
LATIN1_SYMBOLS = "©®°±«»§¶·¬¦¤"
BOM = b"\xef\xbb\xbf"

#: Mutation kinds; a case has one primary kind (round robin) and up to two extra ones.
KINDS = (
    "stray_quote_1",
    "stray_quote_2",
    "stray_quote_3",
    "cut_line",
    "truncate_end",
    "insert_byte",
    "cp1251_line",
    "latin1_garbage",
    "crlf",
    "bom",
    "blank_lines",
    "whole_file_cp1251",
)
#: Classes of the inserted byte.
BYTE_CLASSES = ("lf", "cr", "quote", "comma", "nul", "high", "ascii")
#: Primary kinds, case by case (inserted bytes twice: they come in seven classes).
_ROUND = (*KINDS, "insert_byte")


@dataclass(frozen=True)
class Case:
    """One damaged file and what reading it must give.

    Attributes
    ----------
    name : str
        ``NNN-kind+kind`` (the pytest id).
    data : bytes
        The file.
    expected_rows : int
        Data records in the file.
    must_accept : frozenset of int
        Source rows (1-based data records) that must be accepted ...
    offenses : dict
        ... with exactly this ``offense_raw`` (source row -> text).
    must_reject : dict
        Source row -> the reason it must be rejected with.
    kinds : tuple of str
        The mutations applied (``insert_byte_<class>`` for inserted bytes).
    description : str
        What was done, for failure messages.
    """

    name: str
    data: bytes
    expected_rows: int
    must_accept: frozenset[int] = frozenset()
    offenses: dict[int, str] = field(default_factory=dict)
    must_reject: dict[int, str] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()
    description: str = ""


# The independent record counter ------------------------------------------------------------
_QUOTE, _COMMA = 0x22, 0x2C
_START, _FIELD, _QUOTED, _QUOTE_IN_QUOTED = range(4)
_LINE_END = re.compile(rb"\r\n|\n|\r")

#: Readings of the contract's wording: (every quote toggles, how a swallowed line "looks like a
#: record", whether any or all swallowed lines must look like records to refuse the join).
READINGS = tuple(itertools.product((False, True), ("fields", "commas"), ("any", "all")))


def physical_lines(data: bytes) -> list[tuple[int, bytes]]:
    """``(offset, content)`` of each physical line; lines end at ``\\r\\n``, ``\\n`` or ``\\r``."""
    out, pos = [], 0
    for m in _LINE_END.finditer(data):
        out.append((pos, data[pos : m.start()]))
        pos = m.end()
    if pos < len(data):
        out.append((pos, data[pos:]))
    return out


def _scan_rfc(line: bytes, quoted: bool) -> tuple[int, bool]:
    """Separators outside quotes and whether a quote is open at the end (RFC 4180, lenient).

    A quote opens a quoted value only at the start of a field; inside one, ``""`` is a quote
    and a lone ``"`` closes it; text after the closing quote joins the field (as Python's csv
    module does); a quote in the middle of an unquoted field is a character.
    """
    if _QUOTE not in line:
        return (0, True) if quoted else (line.count(b","), False)
    commas, state = 0, _QUOTED if quoted else _START
    for b in line:
        if state == _QUOTED:
            if b == _QUOTE:
                state = _QUOTE_IN_QUOTED
        elif state == _QUOTE_IN_QUOTED:
            if b == _QUOTE:
                state = _QUOTED
            elif b == _COMMA:
                commas, state = commas + 1, _START
            else:
                state = _FIELD
        elif b == _COMMA:
            commas, state = commas + 1, _START
        elif state == _START and b == _QUOTE:
            state = _QUOTED
        else:
            state = _FIELD
    return commas, state == _QUOTED


def _scan_toggle(line: bytes, quoted: bool) -> tuple[int, bool]:
    """As :func:`_scan_rfc`, but every quote opens or closes (a byte-level reading)."""
    parts = line.split(b'"')
    commas = 0
    for i, part in enumerate(parts):
        if not quoted:
            commas += part.count(b",")
        if i < len(parts) - 1:
            quoted = not quoted
    return commas, quoted


def count_records(
    data: bytes, *, toggle: bool = False, looks: str = "fields", refuse: str = "any"
) -> list[int]:
    """Byte offsets where the data records of a CSV file start (see the module docs).

    Parameters
    ----------
    data : bytes
        The file; the first non-blank line is the header, its field count the record width.
    toggle : bool
        Every quote opens or closes (instead of RFC 4180: only at a field start).
    looks : {"fields", "commas"}
        A swallowed line looks like a record when, read alone, it has the header's field count
        (quote-aware), or when its commas give that count.
    refuse : {"any", "all"}
        A multi-line join is refused when any (or all) swallowed lines look like records.
    """
    scan = _scan_toggle if toggle else _scan_rfc
    lines = [(off, line) for off, line in physical_lines(data)]
    i = 0
    while i < len(lines) and not lines[i][1].strip():
        i += 1
    if i == len(lines):
        return []
    width = scan(lines[i][1], False)[0] + 1

    def looks_like_record(line: bytes) -> bool:
        commas = line.count(b",") if looks == "commas" else scan(line, False)[0]
        return commas + 1 == width

    starts: list[int] = []
    i += 1
    while i < len(lines):
        off, line = lines[i]
        if not line.strip():
            i += 1
            continue
        commas, open_ = scan(line, False)
        if open_:
            j = i + 1
            while open_ and j < len(lines):
                more, open_ = scan(lines[j][1], True)
                commas += more
                j += 1
            if not open_:
                swallowed = [looks_like_record(ln) for _, ln in lines[i + 1 : j]]
                refused = any(swallowed) if refuse == "any" else all(swallowed)
                if commas + 1 == width and not refused:
                    starts.append(off)
                    i = j
                    continue
        starts.append(off)
        i += 1
    return starts


def count_agreed(data: bytes) -> list[int] | None:
    """Record starts when every reading in :data:`READINGS` agrees, else ``None``."""
    results = {tuple(count_records(data, toggle=t, looks=lk, refuse=rf)) for t, lk, rf in READINGS}
    return list(results.pop()) if len(results) == 1 else None


def has_cyrillic(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith("CYRILLIC") for ch in text)


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# The generator -----------------------------------------------------------------------------
@dataclass
class _Block:
    """Consecutive lines of the file: one base row (or blank lines) and what it must give."""

    lines: list[bytes]
    terms: list[bytes | None]  # line endings; None = the file's
    starts: list[int]  # indices of the lines that begin a record
    text: str = ""  # the base row as text (one line) for re-encoding
    encoding: str = "utf-8"
    field_starts: tuple[int, ...] = ()  # character offsets of the fields in ``text``
    span: tuple[int, int] | None = None  # byte offsets of the address's opening/closing quote
    offense: str | None = None  # intact: must be accepted with this offense text
    reason: str | None = None  # damaged: must be rejected with this reason
    row: int = 0  # base row number (1-based), for descriptions
    used: bool = False  # already mutated (or not a candidate)


@dataclass
class _File:
    blocks: list[_Block]
    encoding: str = "utf-8"
    newline: bytes = b"\n"
    bom: bool = False
    final_newline: bool = True
    notes: list[str] = field(default_factory=list)


def _row_block(rng: random.Random, row: int, ident: int, style: str, enc: str) -> _Block:
    lat = 43.27 + rng.random() * 0.05
    lon = 68.20 + rng.random() * 0.08
    year = rng.randint(2019, 2021)
    date = (
        f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
    )
    offense = rng.choice(OFFENSES)
    street = f"{rng.choice(STREETS)} {rng.randint(1, 120)}"
    fields = [str(ident), f"{lat:.6f}", f"{lon:.6f}", date, offense]
    prefix = ",".join(fields) + ","
    starts = tuple(itertools.accumulate([0] + [len(f) + 1 for f in fields]))
    if style == "multi":  # a quoted address over two lines: one legitimate record
        flat = f"кв. {rng.randint(1, 90)}" + rng.choice(["", f", подъезд {rng.randint(1, 6)}"])
        first, second = f'{prefix}"{street}', f'{flat}"'
        return _Block(
            [first.encode(enc), second.encode(enc)],
            [None, None],
            [0],
            text=first + "\n" + second,
            encoding=enc,
            offense=offense,
            row=row,
            used=True,  # never damaged: the file keeps its legitimate multi-line records
        )
    if style == "quoted":
        text = f'{prefix}"{street}, кв. {rng.randint(1, 90)}"'
    else:
        text = prefix + street
    data = text.encode(enc)
    span = (len(prefix.encode(enc)), len(data) - 1) if style == "quoted" else None
    return _Block([data], [None], [0], text, enc, starts, span, offense=offense, row=row)


def _base(rng: random.Random, encoding: str) -> _File:
    n = rng.randint(40, 200)
    first_id = rng.randrange(100000, 900000 - n)  # six digits: no fragment of one is another
    multi = set(rng.sample(range(1, n - 1), rng.choice([0, 1, 1, 2, 3])))
    blocks = []
    for i in range(n):
        style = "multi" if i in multi else rng.choices(["plain", "quoted"], [4, 1])[0]
        blocks.append(_row_block(rng, i + 1, first_id + i, style, encoding))
    return _File(blocks, encoding=encoding, final_newline=rng.random() < 0.85)


def _targets(f: _File, rng: random.Random, k: int) -> list[_Block]:
    free = [b for b in f.blocks if not b.used and b.offense is not None and len(b.lines) == 1]
    if len(free) < k:
        raise _Redraw
    picked = rng.sample(free, k)
    for b in picked:
        b.used = True
    return picked


class _Redraw(Exception):
    """This draw cannot be used (no target, or the readings disagree): draw again."""


def _byte_offset(b: _Block, char_index: int) -> int:
    return len(b.text[:char_index].encode(b.encoding))


def _inside_quotes(b: _Block, p: int) -> bool:
    """Whether inserting at byte ``p`` of the line lands inside the quoted address."""
    return b.span is not None and b.span[0] < p <= b.span[1]


def _is_last(f: _File, b: _Block) -> bool:
    at = next(i for i, other in enumerate(f.blocks) if other is b)
    return all(not other.starts for other in f.blocks[at + 1 :])


def _stray_quotes(f: _File, rng: random.Random, k: int) -> None:
    for b in _targets(f, rng, k):
        line = b.lines[0]
        if rng.random() < 0.5:
            col = rng.randrange(len(HEADER))
            p = _byte_offset(b, b.field_starts[col])
            where = f"at the start of field {HEADER[col]!r}"
        else:
            col = rng.randrange(len(HEADER))
            lo = b.field_starts[col] + 1
            hi = b.field_starts[col + 1] - 1 if col + 1 < len(HEADER) else len(b.text)
            if hi - lo < 1:
                raise _Redraw
            p = _byte_offset(b, rng.randrange(lo, hi))
            where = f"inside field {HEADER[col]!r}"
        b.lines[0] = line[:p] + b'"' + line[p:]
        # an unquoted line with a quote opening a field: it would swallow the lines after it
        opens = where.startswith("at the start") and b.span is None
        b.reason = "malformed_row" if opens and not _is_last(f, b) else None
        b.offense = None
        f.notes.append(f"stray quote {where} of base row {b.row}")


def _cut_line(f: _File, rng: random.Random) -> None:
    (b,) = _targets(f, rng, 1)
    ci = rng.randrange(1, len(b.text))
    p = _byte_offset(b, ci)
    line = b.lines[0]
    b.lines, b.terms = [line[:p], line[p:]], [None, None]
    if _inside_quotes(b, p):  # a legitimately quoted value over two lines: one record
        b.starts = [0]
        f.notes.append(f"newline inside the quoted address of base row {b.row} (one record)")
    else:
        b.starts = [0, 1]
        b.offense = None
        f.notes.append(f"base row {b.row} cut in two at character {ci}")


def _truncate_end(f: _File, rng: random.Random) -> None:
    b = f.blocks[-1]
    if b.used or len(b.lines) != 1:
        raise _Redraw
    b.used = True
    line = b.lines[0]
    mid_char = [i for i in range(1, len(line)) if line[i] & 0xC0 == 0x80]
    if mid_char and f.encoding == "utf-8" and rng.random() < 0.5:
        p = rng.choice(mid_char)
    else:
        p = rng.randrange(1, len(line))
    b.lines[0] = line[:p]
    b.offense = None
    f.final_newline = rng.random() < 0.5
    nl = "with" if f.final_newline else "without"
    f.notes.append(f"last row (base {b.row}) cut at byte {p} of {len(line)}, {nl} final newline")


def _insert_byte(f: _File, rng: random.Random, cls: str) -> None:
    (b,) = _targets(f, rng, 1)
    line = b.lines[0]
    p = rng.randrange(0, len(line) + 1)
    if cls in ("lf", "cr"):
        byte = 0x0A if cls == "lf" else 0x0D
        b.lines, b.terms = [line[:p], line[p:]], [bytes([byte]), None]
        if p in (0, len(line)):  # a blank line before or after, or a CRLF ending: intact
            b.starts = [0] if p else [1]
        elif _inside_quotes(b, p):  # a legitimate multi-line quoted address
            b.starts = [0]
        else:
            b.starts = [0, 1]
            b.offense = None
    else:
        if cls == "quote":
            byte = 0x22
        elif cls == "comma":
            byte, p = 0x2C, rng.randrange(1, len(line))
        elif cls == "nul":
            byte = 0x00
        elif cls == "high":
            byte = rng.randrange(0x80, 0x100)
        else:
            byte = rng.choice([c for c in range(0x01, 0x80) if c not in b'\n\r",'])
        b.lines[0] = line[:p] + bytes([byte]) + line[p:]
        b.offense = None
        if cls == "comma" and not _inside_quotes(b, p):
            b.reason = "malformed_row"  # one field more than the header
    f.notes.append(f"byte 0x{byte:02X} inserted at byte {p} of base row {b.row}")


def _cp1251_line(f: _File, rng: random.Random) -> None:
    if f.encoding != "utf-8":
        raise _Redraw
    (b,) = _targets(f, rng, 1)
    data = b.text.encode("cp1251")
    if is_utf8(data):
        raise _Redraw
    b.lines[0], b.encoding = data, "cp1251"
    f.notes.append(f"base row {b.row} in cp1251")


def _latin1_garbage(f: _File, rng: random.Random) -> None:
    if f.encoding != "utf-8":
        raise _Redraw
    (b,) = _targets(f, rng, 1)
    parts = b.text.split(",")[:4]
    word = rng.choice(["Vol", "Rixe", "Delit", "Fraude", "Degats"])
    symbols = "".join(rng.choice(LATIN1_SYMBOLS) for _ in range(rng.randint(1, 3)))
    text = ",".join(parts + [f"{word} {symbols} {rng.randint(1, 99)}", "Main St 5"])
    data = text.encode("latin-1")
    if is_utf8(data) or has_cyrillic(data.decode("cp1251", errors="replace")):
        raise _Redraw
    b.lines[0], b.encoding = data, "latin-1"
    b.offense, b.reason = None, "bad_encoding"
    f.notes.append(f"base row {b.row} replaced by latin-1 symbols {symbols!r}")


def _blank_lines(f: _File, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(0, len(f.blocks) + 1)
        blank = rng.choice([b"", b" ", b"\t", b"   ", b" \t "])
        f.blocks.insert(at, _Block([blank], [None], [], used=True))
        f.notes.append(f"blank line {blank!r} before block {at}")


def _serialise(f: _File) -> tuple[bytes, list[int], dict[int, int]]:
    """The file, the byte offsets of its records and block index -> first record ordinal."""
    lines: list[tuple[int, bytes, bytes | None]] = [(-1, ",".join(HEADER).encode(), None)]
    for bi, b in enumerate(f.blocks):
        lines += [(bi, line, term) for line, term in zip(b.lines, b.terms, strict=True)]
    out = bytearray(BOM if f.bom else b"")
    offsets: dict[tuple[int, int], int] = {}
    seen: dict[int, int] = {}
    for k, (bi, line, term) in enumerate(lines):
        idx = seen[bi] = seen.get(bi, -1) + 1
        offsets[(bi, idx)] = len(out)
        out += line
        last = k == len(lines) - 1
        out += term if term is not None else (b"" if last and not f.final_newline else f.newline)
    starts, ordinal = [], {}
    for bi, b in enumerate(f.blocks):
        for s in b.starts:
            if s == b.starts[0]:
                ordinal[bi] = len(starts) + 1
            starts.append(offsets[(bi, s)])
    return bytes(out), starts, ordinal


def _apply(f: _File, rng: random.Random, kind: str) -> None:
    if kind.startswith("stray_quote_"):
        _stray_quotes(f, rng, int(kind[-1]))
    elif kind == "cut_line":
        _cut_line(f, rng)
    elif kind == "truncate_end":
        _truncate_end(f, rng)
    elif kind.startswith("insert_byte_"):
        _insert_byte(f, rng, kind.removeprefix("insert_byte_"))
    elif kind == "cp1251_line":
        _cp1251_line(f, rng)
    elif kind == "latin1_garbage":
        _latin1_garbage(f, rng)
    elif kind == "crlf":
        f.newline = b"\r\n"
        f.notes.append("CRLF line endings")
    elif kind == "bom":
        f.bom = True
        f.notes.append("UTF-8 BOM")
    elif kind == "blank_lines":
        _blank_lines(f, rng)
    elif kind == "whole_file_cp1251":
        f.notes.append("whole file in cp1251")
    else:  # pragma: no cover
        raise ValueError(kind)


_EXCLUSIVE = (
    {"stray_quote_1", "stray_quote_2", "stray_quote_3"},
    {"whole_file_cp1251", "cp1251_line"},
    {"whole_file_cp1251", "latin1_garbage"},
)
#: Order of application: the last row is cut before anything else takes it, blank lines last.
_ORDER = ("whole_file_cp1251", "crlf", "bom", "truncate_end")


def _kinds(rng: random.Random, primary: str, byte_class: str) -> list[str]:
    extras: list[str] = []
    want = rng.choice([0, 0, 1, 1, 2])
    for kind in rng.sample(KINDS, len(KINDS)):
        if len(extras) == want:
            break
        if kind == primary:
            continue
        chosen = {primary, *extras, kind}
        if any(len(chosen & group) > 1 for group in _EXCLUSIVE):
            continue
        extras.append(kind)
    kinds = [primary, *extras]
    kinds.sort(key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k == "blank_lines"))
    named = []
    for k in kinds:
        if k == "insert_byte":
            k = f"insert_byte_{byte_class if k == primary else rng.choice(BYTE_CLASSES)}"
        named.append(k)
    return named


def _make(rng: random.Random, index: int, primary: str, byte_class: str) -> Case:
    kinds = _kinds(rng, primary, byte_class)
    f = _base(rng, "cp1251" if "whole_file_cp1251" in kinds else "utf-8")
    for kind in kinds:
        _apply(f, rng, kind)
    data, starts, ordinal = _serialise(f)
    if count_agreed(data) != starts:
        raise _Redraw
    offenses, reject = {}, {}
    for bi, b in enumerate(f.blocks):
        if b.offense is not None:
            raw = b"\n".join(b.lines)
            if b.encoding == "cp1251" and is_utf8(raw):
                continue  # would be read as UTF-8: no fixed text to ask for
            offenses[ordinal[bi]] = b.offense
        if b.reason is not None:
            reject[ordinal[bi]] = b.reason
    return Case(
        name=f"{index:03d}-{'+'.join(kinds)}",
        data=data,
        expected_rows=len(starts),
        must_accept=frozenset(offenses),
        offenses=offenses,
        must_reject=reject,
        kinds=tuple(kinds),
        description="; ".join(f.notes) or "clean",
    )


def _primary(i: int) -> tuple[str, str]:
    kind = _ROUND[i % len(_ROUND)]
    nth = i // len(_ROUND) * 2 + (i % len(_ROUND) == len(_ROUND) - 1)  # the nth byte insert
    return kind, BYTE_CLASSES[nth % len(BYTE_CLASSES)]


def generate(n: int = 500, seed: int = 20261203) -> list[Case]:
    """``n`` damaged files, the same for the same ``seed`` (see the module docs).

    Case ``i`` has a primary kind taken in turn from :data:`KINDS` (``insert_byte`` twice per
    round, its byte class in turn from :data:`BYTE_CLASSES`) and up to two extra kinds drawn
    at random.
    """
    cases = []
    for i in range(n):
        primary, byte_class = _primary(i)
        for attempt in range(100):
            rng = random.Random(f"{seed}:{i}:{attempt}")
            try:
                cases.append(_make(rng, i, primary, byte_class))
                break
            except _Redraw:
                continue
        else:  # pragma: no cover
            raise RuntimeError(f"no usable draw for case {i} ({primary})")
    return cases


def redraws(n: int = 500, seed: int = 20261203) -> int:
    """How many draws :func:`generate` threw away (readings disagreed, or no target)."""
    total = 0
    for i in range(n):
        primary, byte_class = _primary(i)
        for attempt in range(100):
            try:
                _make(random.Random(f"{seed}:{i}:{attempt}"), i, primary, byte_class)
                break
            except _Redraw:
                total += 1
    return total
