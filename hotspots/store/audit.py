"""The audit log: sign-ins, uploads, exports and deletions (who, when, which dataset, which
filters). Rows are only ever added."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select

from hotspots.errors import ParameterError
from hotspots.store.models import AuditEvent

#: The actions recorded.
ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "upload",
    "export",
    "download",
    "delete",
    "view_saved",
    "user_added",
    "user_changed",
)
COLUMNS = ["at", "username", "action", "dataset_id", "filters", "detail"]


def record(
    store,
    action: str,
    username: str | None,
    *,
    dataset_id: str | None = None,
    filters: dict[str, Any] | None = None,
    detail: str | None = None,
    session=None,
) -> None:
    """Add one event to the log (in ``session``'s transaction when given, else its own).

    Parameters
    ----------
    action : str
        One of :data:`ACTIONS`.
    username : str or None
        Who (``None`` for an unknown name at a failed sign-in is recorded by name anyway).
    dataset_id, filters, detail : optional
        Which dataset, the filters in force (plain JSON values), free text (file names).
    """
    if action not in ACTIONS:
        raise ParameterError(f"audit action must be one of {', '.join(ACTIONS)}, got {action!r}")
    event = AuditEvent(
        action=action, username=username, dataset_id=dataset_id, filters=filters, detail=detail
    )
    if session is not None:
        session.add(event)
        return
    with store.session() as s:
        s.add(event)


def events(store, *, action: str | None = None, limit: int = 500) -> pd.DataFrame:
    """The newest ``limit`` events (newest first), optionally of one action, as a table."""
    if limit < 1:
        raise ParameterError(f"limit must be >= 1, got {limit}")
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    with store.session() as s:
        rows = [[getattr(e, c) for c in COLUMNS] for e in s.scalars(query)]
    return pd.DataFrame(rows, columns=COLUMNS)
