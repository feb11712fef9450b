"""Guards every command shares: no output overwrites an input, no traceback for memory.

Light on purpose (standard library and click only), so :mod:`hotspots.cli` can import it
without slowing ``hotspots --help``.
"""

from __future__ import annotations

import functools
import itertools
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from hotspots.errors import InputError

PathLike = str | os.PathLike


class PartialOutput(InputError):
    """Some of the files a command writes could not be made (e.g. ``report`` without
    Chromium): the others are written; :func:`hotspots.cli.main` prints the run's notes, then
    this one line, and exits with status 2."""


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when ``a`` and ``b`` name the same file: the same resolved path (symlinks
    followed, ``..`` collapsed; the files need not exist) or, when both exist, the same
    file on disk (:func:`os.path.samefile`: hard links, bind mounts)."""
    try:
        if Path(a).resolve() == Path(b).resolve():
            return True
    except (OSError, RuntimeError):  # a symlink loop
        pass
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def check_not_overwriting(
    inputs: Iterable[tuple[str, PathLike]], outputs: Iterable[tuple[str, PathLike]]
) -> None:
    """Refuse (:class:`InputError`, one line) an output that is an input, or two outputs
    that are the same file.

    Parameters
    ----------
    inputs, outputs : iterable of (label, path)
        Every file the command reads and writes; the label is how the user gave it
        (``"INPUT"``, ``"--venues"``, ``"--rejects"``, ``"-o/--output"``). Empty paths are
        skipped.

    Examples
    --------
    >>> try:
    ...     check_not_overwriting([("INPUT", "calls.csv")], [("--rejects", "./calls.csv")])
    ... except InputError as exc:
    ...     print(exc)
    --rejects ./calls.csv would overwrite the input calls.csv (INPUT); choose another output path
    """
    ins = [(label, p) for label, p in inputs if p]
    outs = [(label, p) for label, p in outputs if p]
    for out_label, out in outs:
        for in_label, src in ins:
            if same_file(out, src):
                raise InputError(
                    f"{out_label} {out} would overwrite the input {src} ({in_label}); "
                    "choose another output path"
                )
    for (a_label, a), (b_label, b) in itertools.combinations(outs, 2):
        if same_file(a, b):
            raise InputError(
                f"{b_label} {b} would overwrite the output {a} ({a_label}); "
                "choose another output path"
            )


def _flag(param: click.Parameter) -> str:
    if isinstance(param, click.Argument):
        return "INPUT" if param.name == "input_path" else str(param.human_readable_name)
    return max(param.opts, key=len)


def command_paths(
    command: click.Command, kwargs: Mapping[str, Any], folder_files: Sequence[str] = ()
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (label, path) of every file ``command`` reads and writes with these ``kwargs``.

    A :class:`click.Path` parameter that must exist is an input; any other is an output. An
    output folder (``report -o DIR``) stands for the ``folder_files`` written into it.
    With ``--sample`` the bundled sample's calls, venues and boundary are inputs too.
    """
    inputs: list[tuple[str, str]] = []
    outputs: list[tuple[str, str]] = []
    for param in command.params:
        value = kwargs.get(param.name or "")
        if not value or not isinstance(param.type, click.Path):
            continue
        values = value if isinstance(value, (tuple, list)) else (value,)
        for v in values:
            if param.type.exists:
                inputs.append((_flag(param), str(v)))
            elif not param.type.file_okay:  # a folder the command writes files into
                outputs += [(_flag(param), str(Path(v) / name)) for name in folder_files]
            else:
                outputs.append((_flag(param), str(v)))
    if kwargs.get("sample"):
        from hotspots.sample import sample_paths

        paths = sample_paths()
        for what in ("calls", "venues", "boundary"):
            p = getattr(paths, what, None)
            if p:
                inputs.append((f"the sample's {what}", str(p)))
    return inputs, outputs


def _size_mb(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return ""
    if not stat.S_ISREG(st.st_mode):
        return ": not a regular file (a device or a pipe may never end); give a file"
    return f" ({st.st_size / 2**20:,.0f} MB)"


def memory_message(path: str | None, doing: str = "read") -> str:
    """One line for a :class:`MemoryError`: what was too big and what to do.

    ``doing`` is "read" while reading ``path``, or e.g. "run `hotspots clusters` on" when
    the analysis ran out of memory.
    """
    if not path:
        return (
            f"not enough memory to {doing} the data; close other programs or use a machine "
            "with more memory"
        )
    size = _size_mb(path)
    if size.startswith(":"):
        return f"not enough memory to {doing} {path}{size}"
    fewer = (
        "split the file (e.g. by year)"
        if doing == "read"
        else "keep fewer calls (--years, --offenses, --boundary)"
    )
    return (
        f"not enough memory to {doing} {path}{size}; close other programs, {fewer} or use a "
        "machine with more memory"
    )


def guard_command(
    command: click.Command, folder_files: Callable[[], Sequence[str]] | None = None
) -> click.Command:
    """Wrap ``command``'s callback (once): refuse outputs that overwrite inputs
    (:func:`check_not_overwriting`, before anything is read) and turn a
    :class:`MemoryError` into an :class:`InputError` naming the input (:func:`memory_message`).

    ``folder_files`` gives the names a folder output (``report -o DIR``) receives.
    """
    if getattr(command, "_hotspots_guarded", False) or command.callback is None:
        return command
    callback = command.callback

    @functools.wraps(callback)
    def run(**kwargs: Any) -> Any:
        names = folder_files() if folder_files is not None else ()
        inputs, outputs = command_paths(command, kwargs, names)
        check_not_overwriting(inputs, outputs)
        try:
            return callback(**kwargs)
        except MemoryError:
            main_input = kwargs.get("input_path") or (
                "the sample" if kwargs.get("sample") else None
            )
            doing = f"run `hotspots {command.name}` on"
            raise InputError(memory_message(main_input, doing)) from None

    command.callback = run
    command._hotspots_guarded = True  # type: ignore[attr-defined]
    return command
