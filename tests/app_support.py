"""Helpers for the app tests (``tests/test_app_*.py``): run the app with AppTest, read what it
shows. Not a test module (no ``test_`` prefix)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parents[1]
APP = REPO_ROOT / "app.py"
#: First run imports the stack and reads the sample (~8 s); later runs hit the caches.
TIMEOUT = 180


def new_app(query: dict[str, str] | None = None, locale: str | None = None) -> AppTest:
    """An AppTest of ``app.py`` opened with the URL parameters ``query`` (not run yet)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if locale:
        at.context["locale"] = locale
    return at


def run(at: AppTest) -> AppTest:
    """Run and fail loudly on any exception the script raised (with its message)."""
    at.run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    problems = [f"{e.message}\n{''.join(e.stack_trace or [])}" for e in at.exception]
    assert not problems, "the app raised:\n" + "\n".join(problems)


def goto(at: AppTest, page: str) -> AppTest:
    """Switch to ``app_pages/<page>.py`` and run."""
    at.switch_page(f"app_pages/{page}.py")
    return run(at)


def metrics(at: AppTest) -> dict[str, str]:
    """Metric label -> displayed value (the main area and the sidebar)."""
    return {m.label: m.value for m in at.metric}


def metric_deltas(at: AppTest) -> dict[str, str]:
    return {m.label: m.proto.delta for m in at.metric}


def map_args(at: AppTest, index: int = 0) -> dict[str, Any]:
    """The arguments sent to the streamlit-folium component (script, header, js_links ...);
    ``script`` is the map's whole script: the base map and the data layers that the Map page
    sends apart (``feature_group``, updated in place, see app_pages.mapview)."""
    maps = [e for e in at.get("component_instance") if "st_folium" in e.proto.component_name]
    assert maps, "no map on the page"
    args = json.loads(maps[index].proto.json_args)
    args["base_script"] = args["script"]
    args["script"] = args["script"] + (args.get("feature_group") or "")
    return args


def map_payload_bytes(args: dict[str, Any]) -> int:
    """Bytes of the map sent to the browser: script (base and layers), header, html and links."""
    parts = [args["script"], args["header"], args["html"], *args["js_links"], *args["css_links"]]
    return sum(len(p.encode("utf-8")) for p in parts)


def texts(at: AppTest) -> str:
    """Every markdown, caption, header, info/warning/error/success text, joined."""
    out = []
    for kind in (
        "markdown",
        "caption",
        "header",
        "subheader",
        "info",
        "warning",
        "error",
        "success",
        "title",
    ):
        out.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(out)


@lru_cache(maxsize=1)
def sample():
    """The bundled sample as the library reads it (the independent side of the checks)."""
    from hotspots.sample import load_sample

    return load_sample()


def fmt_en(n: int) -> str:
    return f"{n:,}"


def table_with(at: AppTest, column: str, nth: int = 0):
    """The ``nth`` dataframe shown whose columns include ``column`` (as a DataFrame)."""
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) > nth, f"no table with a {column!r} column"
    return found[nth]


def chart_data(at: AppTest, nth: int):
    """The data of the ``nth`` Altair/Vega-Lite chart shown (a DataFrame)."""
    import pyarrow as pa

    chart = at.get("vega_lite_chart")[nth]
    return pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_pandas()


def chart_with(at: AppTest, column: str):
    """The data of the first chart whose data has ``column``."""
    for i in range(len(at.get("vega_lite_chart"))):
        data = chart_data(at, i)
        if column in data.columns:
            return data
    raise AssertionError(f"no chart with a {column!r} column")
