"""The library's refusals in the dashboard's words: its field labels, never the CLI's flags.

A :class:`ledger.errors.LedgerError` carries a hint worded for the CLI (``add --correct
--reason``, ``leave out --on``). Here the message is rebuilt from the exception's class, its
``field`` and its ``detail``, and the hint is the dashboard's own (or none).
"""

from __future__ import annotations

from ledger.errors import (
    AlreadyResolved,
    DuplicateQuestion,
    InvalidValue,
    LedgerBusy,
    LedgerError,
    LedgerMissing,
    NotResolved,
    SimilarQuestion,
    UnknownQuestion,
    UnknownSource,
)

# Model field names -> the labels of the form fields that set them.
LABELS = {
    "id": "Id", "question": "Question", "criteria": "Resolution criteria",
    "resolve_by": "Resolve by", "opened": "Opened", "tags": "Tags", "source": "Source",
    "blind": "Blind", "forecaster": "Forecaster", "probability": "Probability",
    "made_at": "Made at", "rationale": "Rationale", "basis": "Basis", "outcome": "Outcome",
    "resolved_on": "Resolved on", "evidence": "Evidence link", "note": "Note",
    "resolved_by": "Resolved by", "reason": "Reason for the correction",
    "correct": "This corrects the current resolution",
}

CORRECT = "“This corrects the current resolution”"
REASON = "“Reason for the correction”"
ADD_ANYWAY = "“Add it even though a question with the same text exists”"
ON_LOG_PAGE = "on the Log / resolve page (Resolve or correct)"

# (exception class, field) -> what to do next, in the dashboard's words. A field of None
# matches any. Classes not listed get no hint: the CLI's would name its flags.
HINTS: dict[tuple[type[LedgerError], str | None], str] = {
    (AlreadyResolved, "correct"): f"to change it, tick {CORRECT} and give a {REASON} "
                                  f"{ON_LOG_PAGE}",
    (AlreadyResolved, "made_at"): "forecasts are for open questions; see the Open / due / "
                                  "overdue page",
    (NotResolved, "correct"): f"resolve it first, without ticking {CORRECT}",
    (InvalidValue, "reason"): f"write why in {REASON}",
    (InvalidValue, "resolved_on"): "resolve once it has happened: pick today or an earlier date",
    (InvalidValue, "made_at"): "leave “Made at” empty for now",
    (DuplicateQuestion, "id"): "choose another “Id”, or log a forecast on the existing "
                               "question under “Add or update a forecast”",
    (SimilarQuestion, "question"): f"tick {ADD_ANYWAY} to add it anyway, or log a forecast "
                                   "on it under “Add or update a forecast”",
    (UnknownSource, "source"): "import the forecast file that defines it first",
    (UnknownQuestion, None): "pick a question from the list (it may have been removed)",
    (LedgerMissing, None): "import forecast files with `forecast-ledger import forecasts/`, "
                           "or add a first question on the Log / resolve page",
    (LedgerBusy, None): "wait for the other forecast-ledger command to finish, then try again",
}


def label(field: str) -> str:
    """The form label of a model field; ``tags.2`` is the third of "Tags"."""
    head, _, rest = field.partition(".")
    name = LABELS.get(head, head)
    return f"{name} (item {int(rest) + 1})" if rest.isdigit() else name


def say(exc: LedgerError) -> str:
    """One line for a person: the field's label, what is wrong and what to do next (plain
    text: escape it before showing it as markdown)."""
    text = f"{label(exc.field)}: {exc.detail}" if exc.field else exc.detail
    hint = HINTS.get((type(exc), exc.field)) or HINTS.get((type(exc), None))
    if hint is None and exc.hint and "--" not in exc.hint and "`" not in exc.hint:
        hint = exc.hint  # it names no flag or command: it reads the same here
    return f"{text} ({hint})" if hint else text
