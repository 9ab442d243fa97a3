"""Finding a question by the id a person typed: the one lookup every command and page uses.

An id resolves to itself, or, for a duplicate merged into another question, to the question it
was merged into (:func:`ledger.rules.merged_into`). An id the ledger does not hold is refused
with the nearest ids it does hold, so a typo is one edit away from working.
"""

from __future__ import annotations

import difflib
from typing import Any

from ledger import rules
from ledger.errors import UnknownQuestion

#: How many near ids a refusal suggests, and how close they must be (difflib's ratio).
SUGGESTIONS, CUTOFF = 3, 0.6
CLI_HINT = "see `forecast-ledger list` for ids"


def merges(con: Any) -> dict[str, str]:
    """Every merged duplicate's id -> the id of the question it resolves to."""
    return dict(con.execute(rules.merged_into_sql()).fetchall())


def nearest_ids(con: Any, qid: str) -> list[str]:
    """The ids closest to ``qid`` among the questions the ledger holds (merged duplicates
    left out: their kept question is suggested instead)."""
    ids = [i for (i,) in con.execute(
        "SELECT DISTINCT id FROM questions WHERE id NOT IN (SELECT duplicate_id FROM merges)"
    ).fetchall()]
    return difflib.get_close_matches(qid, ids, n=SUGGESTIONS, cutoff=CUTOFF)


def unknown(con: Any, qid: str, hint: str = CLI_HINT) -> UnknownQuestion:
    """The refusal for an id the ledger does not hold, naming the nearest ones."""
    near = nearest_ids(con, qid)
    text = f"no question {qid!r}"
    if near:
        text += "; did you mean " + " or ".join(repr(i) for i in near) + "?"
    exc = UnknownQuestion(text, hint, field="id")
    exc.suggestions = near
    return exc


def find_question(con: Any, qid: str) -> str:
    """The id of the question ``qid`` stands for: itself, or the question a merged duplicate
    was merged into. Raises :class:`UnknownQuestion` (with ``suggestions``) otherwise."""
    if con.execute("SELECT 1 FROM questions WHERE id = $1 LIMIT 1", [qid]).fetchall():
        if con.execute("SELECT 1 FROM merges WHERE duplicate_id = $1 LIMIT 1",
                       [qid]).fetchall():
            return merges(con).get(qid, qid)
        return qid
    raise unknown(con, qid)


def duplicates_of(con: Any, kept: str) -> list[str]:
    """The ids merged (directly or through a chain) into ``kept``, in id order."""
    return sorted(d for d, k in merges(con).items() if k == kept)
