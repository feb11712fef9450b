"""Saved views: the filters and parameters of a view under a name, opened by a link
(``?view=<slug>``). Each save is its own row, so two users saving at once both keep theirs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hotspots.errors import ParameterError
from hotspots.store import audit
from hotspots.store.models import SavedView

#: URL parameter of a saved view's link.
VIEW_PARAM = "view"


@dataclass(frozen=True)
class ViewInfo:
    slug: str
    name: str
    owner: str
    dataset_id: str | None
    params: dict[str, str]
    created_at: Any

    def link(self, base_url: str = "") -> str:
        """The view's link: ``<base_url>?view=<slug>``."""
        return f"{base_url}?{urlencode({VIEW_PARAM: self.slug})}"


def _info(v: SavedView) -> ViewInfo:
    return ViewInfo(v.slug, v.name, v.owner, v.dataset_id, dict(v.params), v.created_at)


def save_view(
    store,
    name: str,
    owner: str,
    params: dict[str, Any],
    *,
    dataset_id: str | None = None,
    replace: bool = True,
) -> ViewInfo:
    """Save a view (its URL parameters: filters, parameters, layers, language).

    Parameters
    ----------
    name : str
        1-200 characters; unique per owner (saving under the same name again replaces the
        owner's view when ``replace``, keeping its link).
    owner : str
        Who saves it.
    params : dict
        URL parameter name -> text value (``{"years": "2023", "offenses": "theft"}``).
    dataset_id : str, optional
        The stored dataset the view is about.
    """
    label = (name or "").strip()
    if not label or len(label) > 200:
        raise ParameterError(f"view name must be 1-200 characters, got {name!r}")
    clean = {str(k): str(v) for k, v in params.items() if k != VIEW_PARAM}
    for attempt in range(2):  # a concurrent save of the same owner/name: retry as a replace
        try:
            with store.session() as s:
                view = s.scalar(
                    select(SavedView).where(SavedView.owner == owner, SavedView.name == label)
                )
                if view is not None and not replace:
                    raise ParameterError(f"you have a view named {label!r} already")
                if view is None:
                    view = SavedView(slug=secrets.token_urlsafe(9), name=label, owner=owner)
                    s.add(view)
                view.params, view.dataset_id = clean, dataset_id
                audit.record(
                    store,
                    "view_saved",
                    owner,
                    dataset_id=dataset_id,
                    filters=clean,
                    detail=label,
                    session=s,
                )
                s.flush()
                return _info(view)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def get_view(store, slug: str) -> ViewInfo | None:
    """The view of a link's slug, or ``None``."""
    with store.session() as s:
        v = s.scalar(select(SavedView).where(SavedView.slug == slug))
        return _info(v) if v is not None else None


def list_views(store, owner: str | None = None) -> list[ViewInfo]:
    """Saved views (everyone's, or one owner's), by name."""
    query = select(SavedView).order_by(SavedView.name, SavedView.owner)
    if owner is not None:
        query = query.where(SavedView.owner == owner)
    with store.session() as s:
        return [_info(v) for v in s.scalars(query)]


def delete_view(store, slug: str, username: str) -> None:
    """Delete a view (recorded as ``delete``)."""
    with store.session() as s:
        v = s.scalar(select(SavedView).where(SavedView.slug == slug))
        if v is None:
            raise ParameterError(f"no saved view {slug!r}")
        s.delete(v)
        audit.record(store, "delete", username, detail=f"view {v.name}", session=s)
