"""The hotspot app: `streamlit run app.py` (or `make run`).

This entry script is the frame around every page (``st.navigation``): it reads the shared view
from the URL, draws the sidebar (language, filters, presenter mode) and runs the chosen page
from ``app_pages/``. The pages only wire widgets to :mod:`hotspots.views` and the analysis
modules; nothing here computes a figure.

Serving: ``.streamlit/config.toml`` binds to localhost and hides tracebacks
(``client.showErrorDetails = "none"``); ``make run HOST=0.0.0.0`` serves on the network on
purpose, and ``--client.showErrorDetails full`` (or ``HOTSPOTS_DEV=1``) shows tracebacks while
developing (see README, "Serving").

Environment: ``HOTSPOTS_CALLS``, ``HOTSPOTS_VENUES``, ``HOTSPOTS_BOUNDARY`` open the app on
those files instead of the bundled sample; ``HOTSPOTS_TILES`` chooses the basemap (``osm``,
``none`` or a tile URL template, see :mod:`hotspots.tiles`).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # the pages import app_pages.* and hotspots.*
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app_pages import common, failsafe, signin, state  # noqa: E402
from hotspots.i18n import t  # noqa: E402

PAGES = ("map", "tune", "venues", "trends", "nearrepeat", "data", "export", "library", "admin")
ICONS = {
    "map": ":material/map:",
    "tune": ":material/tune:",
    "venues": ":material/storefront:",
    "trends": ":material/show_chart:",
    "nearrepeat": ":material/repeat:",
    "data": ":material/upload_file:",
    "export": ":material/download:",
    "library": ":material/inventory_2:",
    "admin": ":material/admin_panel_settings:",
}


def main() -> None:
    """One run of the app. A function, not module code: Streamlit keeps the last run's script
    module as ``sys.modules["__main__"]``, and module-level names (the data set) would keep an
    upload's frames alive after its session ended."""
    state.load_url_once()
    lang = common.current_lang()
    presenter_now = bool(state.get("presenter"))
    st.set_page_config(
        page_title=t("app.title", lang),
        page_icon="🗺️",  # an emoji favicon is inline SVG (a :material: one is fetched from Google)
        layout="wide",
        initial_sidebar_state="collapsed" if presenter_now else "expanded",
    )

    try:
        # an error nobody caught: one line in the language, the traceback in the server's log
        # (app_pages.failsafe; client.showErrorDetails is "none" in .streamlit/config.toml)
        with failsafe.guard(lang):
            common.language_selector(lang)
            lang = common.current_lang()
            # sign-in and roles, on the server: refusal, form, timeout, forced presenter mode
            user = signin.gate(lang)
            signin.open_view_link()
            ds = common.dataset()
            common.sidebar_filters(ds, lang)  # the filters in force, read by each page
            locked = signin.locked_presenter(user)
            presenter, k = common.presenter_controls(lang, locked=locked)
            signin.locked_presenter(user)  # whatever the widgets said
            signin.sign_out_button(user, lang)
            # headline figures wrap instead of being cut off ("Hooligani…", "Public order offence"):
            # a long value takes a second line, never the next metric's room
            css = (
                "[data-testid='stMetricValue'] *{white-space:normal!important;"
                "overflow:visible!important;text-overflow:clip!important;overflow-wrap:break-word}"
            )
            if presenter:
                # clean screen for a projector: no Streamlit chrome, headline figures in large type:
                # never below the normal 2.25rem, growing with the viewport up to 3.5rem; they scale
                # with it (7f2cd79) and wrap (above), so five metrics in a row never overlap
                css += (
                    "header[data-testid='stHeader']{display:none}"
                    f"[data-testid='stMetricValue']{{font-size:{common.PRESENTER_METRIC_SIZE};line-height:1.1}}"
                    "[data-testid='stMetricLabel'] p{font-size:1.25rem}"
                    ".block-container{padding-top:1rem;max-width:100%}"
                )
            st.html(f"<style>{css}</style>")  # style only: takes no room on the page
            pages = [
                st.Page(
                    f"app_pages/{name}.py",
                    title=t(f"page.{name}", lang),
                    icon=ICONS[name],
                    # the default page is served at "/" whatever its url_path, which it still
                    # reserves: "home", so that "/map" can be the hidden page below
                    url_path="home" if name == "map" else name,
                    default=(name == "map"),
                )
                for name in signin.pages_for(user, PAGES)
            ]
            # "/map" (a link typed or shared from the page's name) opens the Map page too,
            # instead of a "Page not found" dialog; the menu's Map entry stays at "/"
            pages.append(
                st.Page(
                    "app_pages/map.py",
                    title=t("page.map", lang),
                    icon=ICONS["map"],
                    url_path="map",
                    visibility="hidden",
                )
            )
            page = st.navigation(pages, position="top")
            page.run()
    finally:
        state.sync_url()


main()
