"""Named exceptions of the library. Faces (CLI, dashboard) turn them into messages for people.

Every error carries a ``hint``: what the user can do next, worded for the CLI (its flags and
commands), which prints ``message (hint)``. A face with other words (the dashboard names its
form fields) uses the class, ``field`` (which input the error is about, a model field name such
as ``resolved_on`` or ``correct``) and ``detail`` (the message without its ``field: `` prefix)
and words its own hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class LedgerError(Exception):
    """Base class: a user or data error (exit code 1 in the CLI), never a bug."""

    hint: str = ""
    field: str | None = None

    def __init__(self, message: str, hint: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        if hint:
            self.hint = hint
        if field:
            self.field = field

    @property
    def detail(self) -> str:
        """The message without the hint and without a leading ``field: ``."""
        text = self.args[0] if self.args else self.__class__.__name__
        return text.removeprefix(f"{self.field}: ") if self.field else text

    def __str__(self) -> str:  # the one line the CLI prints
        text = self.args[0] if self.args else self.__class__.__name__
        return f"{text} ({self.hint})" if self.hint else text


class LedgerMissing(LedgerError):
    """The ledger file does not exist yet."""


class LedgerBusy(LedgerError):
    """Another process holds DuckDB's single-writer lock for longer than we wait."""


class UnknownQuestion(LedgerError):
    """No question with that id; ``suggestions`` holds the nearest ids the ledger holds."""

    suggestions: list[str] = []  # noqa: RUF012 - set per instance by ledger.ingest.lookup


class NotYours(LedgerError):
    """Withdrawing someone else's forecast."""


class NothingToWithdraw(LedgerError):
    """The forecaster has no standing forecast on the question."""


class UnknownSource(LedgerError):
    """No source with that id."""


class DuplicateQuestion(LedgerError):
    """A question id is already taken."""


class SimilarQuestion(DuplicateQuestion):
    """Adding a question whose text is the same as or nearly the same as one the ledger holds.

    ``similar`` lists the ``(id, question)`` of those questions."""

    def __init__(self, message: str, hint: str = "", *, field: str | None = None,
                 similar: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message, hint, field=field)
        self.similar = list(similar or [])


class AlreadyResolved(LedgerError):
    """Resolving a question that has a resolution, without ``--correct``."""


class NotResolved(LedgerError):
    """Correcting a resolution that does not exist."""


class InvalidValue(LedgerError):
    """A value given on the command line or in a form is not acceptable.

    Its message reads ``field: what is wrong``; ``field`` is taken from it when not given.

    >>> InvalidValue("resolved_on: 2999-01-01 is in the future").field
    'resolved_on'
    """

    def __init__(self, message: str, hint: str = "", *, field: str | None = None) -> None:
        named = re.match(r"([A-Za-z_][\w.]*): ", message)
        super().__init__(message, hint, field=field or (named.group(1) if named else None))


class OutputExists(LedgerError):
    """Refusing to overwrite a file without ``--force``."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, located as precisely as we can: ``file:line: field: message``."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


class ValidationFailed(LedgerError):
    """Input was refused; nothing was written. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        n = len(problems)
        super().__init__(
            "\n".join(str(p) for p in problems)
            + f"\n{n} problem{'s' if n != 1 else ''} found; nothing was written"
        )

    def __str__(self) -> str:
        return self.args[0]


class Conflict(ValidationFailed):
    """An import changes a value that the ledger already holds (history is never rewritten)."""


@dataclass(frozen=True)
class BadEntry:
    seq: int
    kind: str
    subject: str
    reason: str


class TamperDetected(LedgerError):
    """``verify`` found history that does not match its hash chain."""

    def __init__(self, bad: BadEntry, total_bad: int) -> None:
        self.bad = bad
        self.total_bad = total_bad
        super().__init__(
            f"entry #{bad.seq} ({bad.kind} {bad.subject}): {bad.reason}",
            "the ledger file was changed outside forecast-ledger; restore it from a backup "
            "or an export",
        )


class NotALedger(LedgerError):
    """``--db`` names a file that is not a forecast-ledger ledger; nothing is added to it."""


class WrongSchema(LedgerError):
    """The ledger was made by another (newer or unknown) version of forecast-ledger."""


class LedgerReadOnly(LedgerError):
    """A write to a ledger that can only be read (read-only file system or folder)."""


class DiskFull(LedgerError):
    """The disk filled up while writing; what was being written was rolled back."""


class CatalogChanged(LedgerError):
    """``verify`` found tables, views, macros or ``meta`` rows that forecast-ledger did not
    create: ``problems`` names each, one line apiece."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}",
                         "the ledger file was changed outside forecast-ledger; restore it from "
                         "a backup or an export")


class WitnessMismatch(LedgerError):
    """A head kept elsewhere (``--expect-head``, a witness file) is no longer on the chain."""
