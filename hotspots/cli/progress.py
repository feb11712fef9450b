"""A progress bar on stderr for work that runs past a couple of seconds (terminals only)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

#: Seconds before a bar appears: short runs print nothing extra.
DELAY = 2.0


@contextlib.contextmanager
def progress_bar(what: str, name: str) -> Iterator[Callable[[float, str], None]]:
    """Yield a ``progress(fraction, detail)`` callback drawing a tqdm bar on stderr.

    Nothing is drawn when stderr is not a terminal (pipes, CI, tests) or before
    :data:`DELAY` seconds have passed.
    """
    if not sys.stderr.isatty():
        yield lambda fraction, detail="": None
        return
    from tqdm import tqdm

    bar = tqdm(
        total=100,
        desc=f"{what} {name}",
        unit="%",
        file=sys.stderr,
        delay=DELAY,
        leave=False,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix} [{elapsed}<{remaining}]",
    )

    def update(fraction: float, detail: str = "") -> None:
        bar.n = round(100 * min(max(fraction, 0.0), 1.0))
        bar.set_postfix_str(detail, refresh=False)
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()
