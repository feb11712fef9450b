"""HTML templates of the exports (patrol plan, report), rendered with Jinja2.

Autoescaping is ON for every template: venue names, offense labels and file names come from
data and are shown as text, never run as markup. Templates get ``t`` (translation in the
page's language), ``offense_label``, ``venue_label``, ``weekday_label`` and ``num``
(:func:`hotspots.i18n.format_number`) as globals.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from hotspots import i18n

TEMPLATE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared Jinja2 environment (autoescape on, undefined variables are errors)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, *, lang: str, **context: Any) -> str:
    """Render template ``name`` with ``context``; translation helpers bound to ``lang``."""
    i18n.check_lang(lang)
    helpers = {
        "lang": lang,
        "t": lambda key, **fmt: i18n.t(key, lang, **fmt),
        "offense_label": lambda key, raw=None: i18n.offense_label(key, lang, raw),
        "venue_label": lambda kind: i18n.venue_label(kind, lang),
        "weekday_label": lambda d, short=True: i18n.weekday_label(d, lang, short=short),
        "num": lambda v, decimals=0: i18n.format_number(v, lang, decimals),
    }
    return environment().get_template(name).render(**helpers, **context)
