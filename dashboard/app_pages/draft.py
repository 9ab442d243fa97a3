"""Draft: paste or upload an article, review the drafted questions, save and import them.

Everything the page decides comes from the library: ``ledger.draft.draft_article`` finds the
claims, ``ledger.draft.phrase.propose`` phrases them, ``ledger.draft.write.render`` writes the
file and ``save_and_import`` saves it and imports it (all or nothing).
"""

from __future__ import annotations

import hashlib
import html
from datetime import date
from pathlib import Path

import ledger_ui as ui
import streamlit as st
from ledger_messages import say

from ledger.draft import draft_article
from ledger.draft.phrase import propose
from ledger.draft.write import default_file_name, render, save_and_import, segments
from ledger.errors import LedgerError
from ledger.format.models import check_slug

st.title("Draft")
ui.flash()
st.caption("Paste an article (plain text or Markdown; a `title:` / `url:` / `published:` / "
           "`author/outlet:` header before a blank line is read as the source), review the "
           "questions drafted from it, and save them into a forecast file that is imported.")

uploaded = st.file_uploader("Upload a text or Markdown file", type=["txt", "md", "markdown"],
                            key="draft_upload")
pasted = st.text_area("Article text", height=220, key="draft_text",
                      placeholder="Paste the article here, or upload it above.")
c1, c2 = st.columns(2)
published = c1.date_input("Published", value=None, key="draft_published", format="YYYY-MM-DD",
                          help="Default: the article's published: header, else today.")
source_id = c2.text_input("Source id (optional)", key="draft_source_id",
                          placeholder="made from the title and date")

text = pasted
if uploaded is not None and not pasted.strip():
    try:
        text = uploaded.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        st.error("The uploaded file is not UTF-8 text.")
        st.stop()
if not text.strip():
    st.info("Paste an article or upload a file to draft questions from it.")
    st.stop()
if source_id.strip():
    try:
        check_slug(source_id.strip())
    except ValueError as exc:
        st.error(f"Source id: {ui.md(exc)}")
        st.stop()

draft = draft_article(text, published=published, source_id=source_id.strip() or None)
proposals = propose(draft.candidates, draft.published, draft.article.text)
# Widgets are keyed on the article and its date, so a new article starts a fresh review.
stamp = hashlib.sha1(f"{draft.published}|{draft.source_id}|{text}".encode()).hexdigest()[:10]

st.markdown(f"**{len(proposals)} claim{'s' if len(proposals) != 1 else ''}** found in "
            f"*{ui.md(draft.title)}*, published {draft.published.isoformat()} "
            f"({ui.md(draft.published_from)}). Quotes are highlighted in the text.")

with st.expander("The article, with the quotes highlighted", expanded=True):
    parts = []
    for piece, index in segments(draft):
        safe = html.escape(piece).replace("\n", "<br>")
        if index is None:
            parts.append(safe)
        else:
            parts.append(f'<mark title="claim {index + 1}">{safe}</mark>'
                         f"<sup><b>{index + 1}</b></sup>")
    # st.html, not markdown: the text is escaped here and "$45 ... $5" must not become LaTeX.
    st.html('<div class="draft-article" style="max-height: 28rem; overflow-y: auto; '
            'line-height: 1.6">' + "".join(parts) + "</div>")

if not proposals:
    st.info("No forecastable claim was found: the drafter looks for future cues (will, "
            "expect, likely, a stated probability) with something checkable.")
    st.stop()

for i, p in enumerate(proposals):
    c = p.candidate
    with st.container(border=True):
        head, keep_col = st.columns([5, 1])
        head.markdown(f"**{i + 1}.** {c.stance.kind}, direction *{c.direction}*, confidence "
                      f"{c.confidence:.2f}: {ui.md('; '.join(c.reasons))}")
        p.keep = keep_col.checkbox("Keep", value=True, key=f"keep-{stamp}-{i}")
        st.markdown(f"> {ui.md(c.quote)}")
        p.question = st.text_input("Question", value=p.question, key=f"q-{stamp}-{i}")
        p.criteria = st.text_area("Criteria", value=p.criteria, key=f"c-{stamp}-{i}",
                                  height=90)
        d1, d2 = st.columns([1, 3])
        p.resolve_by = d1.date_input("Resolve by", value=p.resolve_by, key=f"d-{stamp}-{i}",
                                     format="YYYY-MM-DD")
        d2.caption(f"Horizon: {ui.md(c.horizon_text or 'none given')}. "
                   f"{ui.md(c.resolve_by_rule)}")

kept = [p for p in proposals if p.keep]
yaml_text = render(draft, proposals, generated=date.today())
with st.expander(f"The forecast file ({len(kept)} question{'s' if len(kept) != 1 else ''})"):
    st.code(yaml_text, language="yaml")
name = default_file_name(draft)
st.download_button("Download the file", yaml_text.encode("utf-8"), file_name=name,
                   mime="application/x-yaml", key="draft_download")
target = st.text_input("Save as", value=f"forecasts/{name}", key=f"draft_target-{stamp}",
                       help="A new file, relative to the folder the dashboard was started from; "
                            "it is imported into the ledger right after saving.")
st.caption(f"Saves to {ui.md(Path(target.strip() or '.').resolve())}, then imports it into "
           f"{ui.md(ui.display_path(ui.ledger_path()))}.")
if st.button("Save and import", type="primary", key="draft_save", disabled=not kept):
    try:
        result = save_and_import(yaml_text, Path(target.strip()), ui.ledger_path())
    except LedgerError as exc:
        st.error(ui.md(say(exc)))  # in the page's words, as the other pages do
    else:
        st.session_state[ui.FLASH_KEY] = (f"Saved {ui.md(target.strip())} and imported it: "
                                          f"{ui.md(result.summary())}.")
        ui.refresh_state()
        st.rerun()
if not kept:
    st.caption("Tick **Keep** on at least one question to save a file.")
