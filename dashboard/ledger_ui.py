"""Shared pieces of the dashboard pages: the open ledger, cached reads, writes, safe text.

Reads go through :func:`load`, a ``st.cache_data`` wrapper around :func:`ledger.reports.views.run`
keyed on the ledger's path, its newest entry number (``queries.latest_seq``) and today's date,
so a write from the CLI shows on the next interaction. Connections are never cached: each read
opens and closes its own. Writes call :mod:`ledger.ingest.actions`; a refusal is shown with
``st.error`` in the dashboard's words (:mod:`ledger_messages`), and a form that wrote is reset.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st
from ledger_messages import say

from ledger.errors import LedgerError
from ledger.format.dates import today as local_today
from ledger.reports import views
from ledger.storage.store import DEFAULT_DB, Ledger

STATE_KEY = "_ledger_state"
FLASH_KEY = "_flash"
VIEWER_KEY = "viewer"

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+\-!|~$:&])")


def md(text: Any) -> str:
    """``text`` escaped for Streamlit markdown: shown literally, never as markup or HTML."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def ledger_path() -> str:
    """The ledger the dashboard shows: env FORECAST_LEDGER_DB, else ledger.duckdb here (for a
    team ledger, a postgresql:// URL, the local replica it reads)."""
    url = team_url()
    if url:
        from ledger.storage.replica import replica_path

        return str(replica_path(url).resolve())
    return str(Path(os.environ.get("FORECAST_LEDGER_DB") or DEFAULT_DB).resolve())


def team_url() -> str | None:
    """The team ledger's URL when FORECAST_LEDGER_DB names one (see ledger.storage.replica)."""
    db = os.environ.get("FORECAST_LEDGER_DB") or ""
    return db if db.startswith(("postgresql://", "postgres://")) else None


def _ledger() -> Ledger:
    url = team_url()
    if url:
        from ledger.storage.replica import TeamLedger

        return TeamLedger(url)
    return Ledger(ledger_path())


def _closing(led: Ledger, use: Callable[[Ledger], Any]) -> Any:
    # A team ledger keeps a server connection: closed after each use, never cached across
    # reruns (each session runs in its own thread).
    try:
        return use(led)
    finally:
        getattr(led, "close", lambda: None)()


def identity() -> str | None:
    """On a team ledger, who you are: the connection's database role (else None)."""
    if not team_url():
        return None
    if "_identity" not in st.session_state:
        st.session_state["_identity"] = _closing(_ledger(), lambda led: led.identity())
    return st.session_state["_identity"]


def display_path(path: str) -> str:
    """``path`` relative to the working folder when it lies below it, else absolute."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def refresh_state() -> dict[str, Any]:
    """Read which ledger is open and its newest entry (once per rerun, by the router)."""
    try:
        if team_url():  # reads are local: bring the replica to the server's head first
            _closing(_ledger(), lambda led: led.sync())
        state = views.ledger_state(ledger_path())
    except LedgerError as exc:
        state = {"path": ledger_path(), "exists": True, "seq": -1, "demo": False,
                 "error": say(exc)}
    st.session_state[STATE_KEY] = state
    return state


def current() -> dict[str, Any]:
    state = st.session_state.get(STATE_KEY)
    return state if state is not None else refresh_state()


def viewer() -> str | None:
    """The "you are" name from the sidebar (None when empty); on a team ledger, the
    connection's identity, which no box can change."""
    if team_url():
        try:
            return identity()
        except LedgerError:
            return None
    name = (st.session_state.get(VIEWER_KEY) or "").strip()
    return name or None


def require_ledger() -> dict[str, Any]:
    """Stop the page with what to do next when there is no usable ledger."""
    state = current()
    if state.get("error"):
        st.error(md(state["error"]))
        st.stop()
    if not state["exists"]:
        st.info(f"No ledger at `{state['path']}` yet. {views.NO_LEDGER_HINT}")
        st.stop()
    return state


@st.cache_data(show_spinner=False, max_entries=256)
def _cached(name: str, path: str, seq: int, today: str, kwargs: tuple) -> Any:
    return views.run(path, name, **dict(kwargs))


def load(name: str, **kwargs: Any) -> Any:
    """``ledger.reports.views.<name>(con, **kwargs)``, cached until the ledger changes."""
    state = current()
    try:
        return _cached(name, state["path"], state["seq"], local_today().isoformat(),
                       tuple(sorted(kwargs.items())))
    except LedgerError as exc:
        st.error(md(say(exc)))
        st.stop()


def deferred(name: str, **kwargs: Any) -> Callable[[], Any]:
    """``ledger.reports.views.<name>(con, **kwargs)`` for a download button to call when it is
    clicked: Streamlit calls it on a thread of its own, where no Streamlit command (nor its
    cache) runs, so it reads the ledger itself."""
    path = current()["path"]
    return lambda: views.run(path, name, **kwargs)


def flash() -> None:
    """Show the message of the last successful write (kept across the rerun after it)."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message)


def reset_form(prefix: str) -> None:
    """Forget every widget value whose key starts with ``prefix``: the form shows its defaults
    on the next run (a value typed for one question must not be saved on the next)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def write(action: Callable[..., Any], *args: Any, done: Callable[[Any], str],
          form_keys: str | None = None, **kwargs: Any) -> bool:
    """Call ``action(Ledger, *args, **kwargs)``; on success reset the form (the widgets whose
    keys start with ``form_keys``: every form passes its prefix, tests/test_dashboard_forms.py
    checks it) and rerun with ``done(result)`` shown.

    A refusal of the library is shown with ``st.error`` in the dashboard's words (the form
    keeps what was typed), and nothing is written. Returns False then.
    """
    try:
        result = _closing(_ledger(), lambda led: action(led, *args, **kwargs))
    except LedgerError as exc:
        st.error(md(say(exc)))
        return False
    st.session_state[FLASH_KEY] = done(result)
    if form_keys:
        reset_form(form_keys)
    refresh_state()
    st.rerun()
    return True  # pragma: no cover (st.rerun does not return)


def csv_download(df: Any, file_name: str, label: str = "Download CSV", key: str | None = None
                 ) -> None:
    """A button that downloads ``df`` (a DataFrame, or a function that makes one) as CSV."""
    # Written when clicked, not on every render: a table of millions of rows takes seconds
    # to build and write as CSV, which no page should wait for before it shows.
    def data() -> bytes:
        try:
            frame = df() if callable(df) else df
        except LedgerError as exc:  # on the download's thread no message can be shown: the
            # file says it (the ledger was locked or moved since the page was drawn, say)
            return ('error\n"' + say(exc).replace('"', '""') + '"\n').encode("utf-8")
        return frame.to_csv(index=False).encode("utf-8")

    # No rerun on the click: a page of millions of rows takes seconds to draw again, and the
    # rerun would race the file being built (a ledger gone since would clear the button).
    st.download_button(label, data, file_name=file_name, mime="text/csv",
                       key=key or f"csv-{file_name}", on_click="ignore")


def split_tags(text: str) -> list[str]:
    """Tags typed as "a, b c" -> ["a", "b", "c"]; the library validates each."""
    return [t for t in re.split(r"[,\s]+", text or "") if t]


# -- tables that fit and link to the question page -------------------------------------------

#: The question page's address, relative to any page of the dashboard (st.Page's url_path of
#: app_pages/question.py), which reads ``?id=``.
QUESTION_PAGE = "question"
#: Rows this tall let text cells wrap (Streamlit wraps text when a row is taller than 4rem):
#: four lines, enough for a question of 165 characters (the longest in forecasts/) in 300 px.
WRAPPING_ROW_HEIGHT = 90
#: How many rows a table shows before it scrolls (down, never sideways).
ROWS_SHOWN = 10


def table_height(n_rows: int) -> int:
    """The height of a table of wrapping rows showing up to :data:`ROWS_SHOWN` of them."""
    return min(max(n_rows, 1), ROWS_SHOWN) * WRAPPING_ROW_HEIGHT + 38  # and the header


def with_question_links(df: Any) -> Any:
    """``df`` with a ``link`` column: each row's question page (``question?id=ID``)."""
    return df.assign(link=QUESTION_PAGE + "?id=" + df["id"].astype(str))


def question_link_column(width: int) -> Any:
    """The ``link`` column shown as the question's id, opening its page."""
    return st.column_config.LinkColumn(
        "id", width=width, display_text=rf"{QUESTION_PAGE}\?id=(.*)",
        help="Open the question's page")


# -- filters that match nothing ---------------------------------------------------------------

#: Shown by a page whose ledger holds no question at all (not a filter that matched nothing).
NO_QUESTIONS = ("The ledger has no questions yet. Add one on the **Log / resolve** page, or "
                "import forecast files with `forecast-ledger import forecasts/`.")


def filters_text(*, forecaster: Any = None, tag: str | None = None,
                 source: str | None = None, since: Any = None, until: Any = None) -> str:
    """The filters chosen, in words ("by alice, tagged policy"), escaped for markdown."""
    names = [forecaster] if isinstance(forecaster, str) else list(forecaster or [])
    parts = []
    if names:
        parts.append("by " + " or ".join(md(n) for n in names))
    if tag:
        parts.append(f"tagged {md(tag)}")
    if source:
        parts.append(f"from source {md(source)}")
    if since:
        parts.append(f"resolved from {since}")
    if until:
        parts.append(f"resolved until {until}")
    return ", ".join(parts)


def has_questions() -> bool:
    """Whether the ledger holds any question (an empty page is then the filters' doing)."""
    return bool(load("question_count"))
