"""What every page shares: language, the data set, the filters, the parameters and the caches
(re-exported from the modules by job listed below).

Caching strategy
----------------
- The loaded data set (canonical GeoDataFrames) is a ``st.cache_resource`` keyed on a short
  digest of its *source*: for the bundled sample and files named by environment variables, one
  shared, read-only copy per source, never hashed; for uploads (bytes identified by their
  SHA-256), the session's own copy (``scope="session"``), freed when the session ends, which
  also clears the derived caches below (:mod:`app_pages.dataset`).
- The filtered calls are a ``st.cache_resource`` keyed on (data key, filters tuple): a filter
  change costs one vectorised mask, and revisiting a filter costs nothing.
- Every analysis result (cells, density, clusters, Gi*, rankings, tables) is a
  ``st.cache_data`` keyed on (data key, filters tuple, parameters tuple): plain values, so
  the GeoDataFrames themselves are passed as ``_underscore`` arguments and never hashed.
  Results that hold the whole filtered table (the venue ranking) use ``st.cache_resource``
  instead, to avoid copying it on every hit.

The modules, one job each (import from them, or from here as before):

- :mod:`app_pages.texts`: the language, its switch, number and period formats, inert text;
- :mod:`app_pages.dataset`: the data set in use, its source, loading and switching it;
- :mod:`app_pages.params`: the shareable settings (layers, parameters), parameters in words;
- :mod:`app_pages.sidebar`: the filters, the filtered calls, presenter mode;
- :mod:`app_pages.analyses`: the cached analyses;
- :mod:`app_pages.context`: the view in force for a page, its caption, the map's layers;
- :mod:`app_pages.charts`: charts and tables in the page's language.
"""

from __future__ import annotations

from app_pages.analyses import (  # noqa: F401
    cells,
    clusters,
    comparison,
    density,
    gistar,
    headline,
    trends,
    venue_detail,
    venue_ranking,
)
from app_pages.charts import (  # noqa: F401
    EXTRA_OFFENSE_COLOURS,
    TOTAL_COLOUR,
    chart_locale,
    decimal_column,
    localised,
    month_year,
    offense_colours,
)
from app_pages.context import (  # noqa: F401
    MAX_POINTS,
    Context,
    context,
    layer_data,
    map_builder,
    no_calls,
    source_caption,
)
from app_pages.dataset import (  # noqa: F401
    ENV_BOUNDARY,
    ENV_CALLS,
    ENV_VENUES,
    Dataset,
    FileRef,
    Source,
    _load,
    _open,
    blobs_for,
    current_source,
    dataset,
    env_source,
    file_ref_for_bytes,
    file_ref_for_path,
    load_source,
    set_source,
)
from app_pages.params import (  # noqa: F401
    DEFAULT_LAYERS,
    MAP_LAYERS,
    PARAM_SETTINGS,
    current_params,
    describe_params,
    params_key,
    save_params,
)
from app_pages.sidebar import (  # noqa: F401
    PRESENTER_METRIC_SIZE,
    _filtered,
    _hour_controls,
    _hour_label,
    current_filters,
    describe_filters,
    filtered,
    filters_key,
    presenter_controls,
    reset_filters,
    sidebar_filters,
)
from app_pages.texts import (  # noqa: F401
    current_lang,
    language_selector,
    md_text,
    num,
    num_lang,
    pct_lang,
    period_text,
    tr,
)
