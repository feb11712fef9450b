"""The ``hotspots`` command line: thin wrappers over the library.

Each command lives in its own module under :mod:`hotspots.cli` and is registered here.
Errors a user can fix (:class:`hotspots.errors.InputError`, ``ParameterError``, a
:class:`MemoryError`) print one line and exit with status 2, never a traceback. Notes of a
successful run (e.g. rows rejected at ingest, :func:`hotspots.cli.common.note`) go to stderr
after the command's output.

Every command is wrapped by :func:`hotspots.cli.common.guard_command` when it is looked up:
no output may overwrite an input (or another output), and running out of memory is one line
naming the input. A command whose module defines ``folder_files()`` writes those files into
its folder output (``report -o DIR``), and they are checked the same way.
"""

from __future__ import annotations

import importlib
import sys

import click

from hotspots.cli.guard import PartialOutput, memory_message
from hotspots.errors import InputError, ParameterError

# command name -> module under hotspots.cli defining a click command called `command`
COMMANDS: dict[str, str] = {
    "validate": "validate",
    "ingest": "ingest",
    "gistar": "gistar",
    "emerging": "emerging",
    "evaluate": "evaluate",
    "trends": "trends",
    "clusters": "clusters",
    "venues": "venues",
    "grid": "grid",
    "density": "density",
    "report": "report",
    "risk": "risk",
    "store": "store",
    "nearrepeat": "nearrepeat",
    "change": "change",
    "aoristic": "aoristic",
    "timemap": "timemap",
}


class _LazyGroup(click.Group):
    """Import a command's module only when it runs, so ``hotspots --help`` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        from hotspots.cli.guard import guard_command

        module = importlib.import_module(f"hotspots.cli.{COMMANDS[name]}")
        return guard_command(module.command, getattr(module, "folder_files", None))


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hotspots")
def cli() -> None:
    """Hotspot mapping for public safety: validate calls, map hotspots, rank venues."""


#: Raised by click >= 8.2 for a group called without a command (its message is the help).
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def usage_line(exc: click.UsageError) -> str:
    """Click's usage error as one line naming the command's ``--help``."""
    msg = " ".join(exc.format_message().split()).replace("'[INPUT_PATH]'", "INPUT")
    cmd = exc.ctx.command_path if exc.ctx is not None else "hotspots"
    return f"{msg} (see '{cmd} --help')"


def os_error_line(exc: OSError) -> str:
    """A file-system error as one line: the path, the reason and what to do."""
    reason = exc.strerror or (str(exc).splitlines() or [type(exc).__name__])[0]
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{reason} (check the path, and that the folder exists and you may write to it)"


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI, turning user errors into one line and status 2."""
    notes: list[str] = []
    try:
        cli.main(args=argv, prog_name="hotspots", standalone_mode=False, obj={"notes": notes})
    except PartialOutput as exc:  # some files written: their notes, then what is missing
        for line in notes:
            click.echo(line, err=True)
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except (InputError, ParameterError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except MemoryError:  # outside a command's own handling (guard_command names the input)
        click.echo(f"error: {memory_message(None)}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except _NO_ARGS_IS_HELP as exc:  # plain `hotspots`: the help, as click prints it
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:  # bad flag or value, missing file: one line, not usage text
        click.echo(f"error: {usage_line(exc)}", err=True)
        sys.exit(2)
    except OSError as exc:  # an output folder that cannot be written, a disk full ...
        click.echo(f"error: {os_error_line(exc)}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    for line in notes:
        click.echo(line, err=True)
    sys.exit(0)
