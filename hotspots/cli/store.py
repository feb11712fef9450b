"""``hotspots store``: the team server's store from the command line.

Examples
--------
::

    hotspots store init                                   # create / migrate the store
    hotspots store add-user chief --role admin            # asks for the password
    hotspots store add-user ann --role analyst --email ann@police.kz --sso-only
    hotspots store users
    hotspots store import calls.csv --name "Calls 2023" --as chief
    hotspots store import postgresql://u@db/police --table calls --name "CAD" --as chief
    hotspots store list
    hotspots store audit --limit 20
    hotspots store delete DATASET_ID --as chief

The store is the one the app uses: ``HOTSPOTS_DB`` (default: a SQLite file in
``HOTSPOTS_DATA_DIR``, ``~/.local/share/hotspots``).
"""

from __future__ import annotations

import json
from typing import Any

import click

from hotspots.cli.common import input_options, load_incidents, note_rejected

ROLES = ("admin", "analyst", "planner", "presenter")


def _open():
    from hotspots.store import open_store

    return open_store()


@click.group("store")
def command() -> None:
    """The team store: accounts, validated datasets, saved views, audit log."""


@command.command("init")
def init() -> None:
    """Create the store (or bring its schema up to date) and say where it is."""
    from hotspots.store import migrate

    store = _open()
    click.echo(
        f"store ready: {store.engine.url.render_as_string(hide_password=True)} "
        f"(schema {migrate.current(store.engine)}), datasets in {store.config.datasets_dir}"
    )


@command.command("add-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option(
    "--password",
    envvar="HOTSPOTS_NEW_PASSWORD",
    help="Asked for when not given (or from HOTSPOTS_NEW_PASSWORD).",
)
@click.option("--email", help="The e-mail a single sign-on identity signs in with.")
@click.option(
    "--sso-only", is_flag=True, help="No password: signs in through single sign-on only."
)
def add_user(
    username: str, role: str, password: str | None, email: str | None, sso_only: bool
) -> None:
    """Create an account (the first admin turns on team mode)."""
    from hotspots.errors import InputError
    from hotspots.store import accounts

    if sso_only and password:
        raise InputError("give --password or --sso-only, not both")
    if not sso_only and not password:
        password = click.prompt(
            "Password", hide_input=True, confirmation_prompt=True, err=True
        )
    account = accounts.add_user(_open(), username, password, role, email=email, by="cli")
    mail = f", {account.email}" if account.email else ""
    click.echo(f"user {account.username} added ({account.role}{mail})")


@command.command("set-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), help="New role.")
@click.option("--disable", is_flag=True, help="Refuse this user's sign-ins from now on.")
@click.option("--enable", is_flag=True, help="Allow this user to sign in again.")
@click.option("--email", help="The single sign-on e-mail ('' removes it).")
def set_user(
    username: str, role: str | None, disable: bool, enable: bool, email: str | None
) -> None:
    """Change a user's role or single sign-on e-mail, or disable / enable the account."""
    from hotspots.errors import InputError
    from hotspots.store import accounts

    if disable and enable:
        raise InputError("give --disable or --enable, not both")
    active = False if disable else (True if enable else None)
    a = accounts.change_user(
        _open(), username, role=role, active=active, email=email, by="cli"
    )
    click.echo(f"user {a.username}: {a.role}, {'active' if a.active else 'disabled'}")


@command.command("users")
def users() -> None:
    """List the accounts (name, role, active)."""
    from hotspots.store import accounts

    for a in accounts.users(_open()):
        state = "active" if a.active else "disabled"
        click.echo(f"{a.username}\t{a.role}\t{state}\t{a.email or ''}")


@command.command("import")
@input_options
@click.option("--name", required=True, help="The dataset's name, as the team sees it.")
@click.option("--as", "username", required=True, help="Who imports it (for the audit log).")
def import_(**kwargs: Any) -> None:
    """Validate INPUT (a file, --sample, or a database with --table/--query) and keep it."""
    from hotspots.store import datasets

    loaded = load_incidents(kwargs, apply=False, note=False)
    note_rejected(loaded.result, loaded.source)
    info = datasets.save_dataset(_open(), loaded.result, kwargs["name"], kwargs["username"])
    click.echo(f"{info.id}\t{info.name}\t{info.accepted:,} calls kept ({info.rejected:,} rejected)")


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per dataset.")
def list_(as_json: bool) -> None:
    """List the stored datasets, newest first."""
    from hotspots.store import datasets

    for d in datasets.list_datasets(_open()):
        if as_json:
            item = {
                "id": d.id, "name": d.name, "kind": d.kind, "rows": d.rows,
                "accepted": d.accepted, "rejected": d.rejected, "created_by": d.created_by,
                "created_at": str(d.created_at), "path": str(d.path),
                "extent": d.extent.wkt if d.extent is not None else None,
            }
            click.echo(json.dumps(item, ensure_ascii=False))
        else:
            click.echo(
                f"{d.id}\t{d.name}\t{d.kind}\t{d.accepted:,} accepted\t{d.created_by}"
                f"\t{d.created_at:%Y-%m-%d %H:%M}"
            )


@command.command("delete")
@click.argument("dataset_id")
@click.option("--as", "username", required=True, help="Who deletes it (for the audit log).")
def delete(dataset_id: str, username: str) -> None:
    """Delete a stored dataset (recorded in the audit log)."""
    from hotspots.store import datasets

    datasets.delete_dataset(_open(), dataset_id, username)
    click.echo(f"deleted {dataset_id}")


@command.command("audit")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.option("--action", help="Only this action (sign_in, upload, export, delete ...).")
def audit_(limit: int, action: str | None) -> None:
    """The audit log, newest first: when, who, what, which dataset, which filters."""
    from hotspots.store import audit

    table = audit.events(_open(), action=action, limit=limit)
    table = table.astype(object).where(table.notna(), None)
    for row in table.itertuples(index=False):
        filters = json.dumps(row.filters, ensure_ascii=False) if row.filters else ""
        click.echo(
            "\t".join(
                str(v or "")
                for v in (f"{row.at:%Y-%m-%d %H:%M:%S}", row.username, row.action,
                          row.dataset_id, filters, row.detail)
            )
        )
