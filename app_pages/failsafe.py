"""The app's own one line for an error nobody caught, instead of Streamlit's traceback.

``.streamlit/config.toml`` sets ``client.showErrorDetails = "none"``: a traceback names files,
paths and data, and is no message for a user. :func:`guard` wraps the page: an unexpected
exception is logged on the server with its traceback and the page shows one line in the
user's language. While developing, ``streamlit run app.py --client.showErrorDetails full``
(or ``HOTSPOTS_DEV=1``) lets the exception through, so Streamlit shows the traceback; so do
``streamlit.testing`` runs (no server), so the tests still see every exception.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

LOG = logging.getLogger("hotspots.app")

#: The one line, by language ({kind}: the exception's type, {ref}: its reference in the log).
MESSAGE = {
    "en": (
        "Something went wrong on this page ({kind}, reference {ref}). Reload the page, or go "
        "back to the sample on the Data page; the details are in the server's log."
    ),
    "ru": (
        "На этой странице произошла ошибка ({kind}, номер {ref}). Обновите страницу или "
        "вернитесь к примеру на странице «Данные»; подробности — в журнале сервера."
    ),
    "kk": (
        "Бұл бетте қате шықты ({kind}, нөмірі {ref}). Бетті жаңартыңыз немесе «Деректер» "
        "бетінде үлгіге оралыңыз; толығырақ сервер журналында."
    ),
}


def developing() -> bool:
    """Whether tracebacks should show: ``HOTSPOTS_DEV=1``, ``client.showErrorDetails`` set to
    ``full``/``stacktrace``/true, or no server (``streamlit.testing``, bare mode)."""
    from streamlit import runtime

    if os.environ.get("HOTSPOTS_DEV", "").strip() in {"1", "true", "yes"}:
        return True
    detail = str(st.get_option("client.showErrorDetails")).lower()
    return detail in {"full", "stacktrace", "true"} or not runtime.exists()


@contextmanager
def guard(lang: str, *, reraise: bool | None = None) -> Iterator[None]:
    """Run the page; an unexpected exception becomes one logged line on the page.

    Streamlit's own control flow (``st.stop``, ``st.rerun``) derives from ``BaseException``
    and passes through untouched.

    Parameters
    ----------
    lang : str
        The page's language (kk, ru, en).
    reraise : bool, optional
        Let the exception through (default: :func:`developing`).
    """
    try:
        yield
    except Exception as exc:
        if developing() if reraise is None else reraise:
            raise
        ref = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        LOG.exception("uncaught error in the app (reference %s)", ref)
        st.error(MESSAGE.get(lang, MESSAGE["en"]).format(kind=type(exc).__name__, ref=ref))
