"""Fixing mistakes without rewriting the record: edit a question, withdraw a forecast, merge a
duplicate question into the one kept.

Each fix is a new entry (built by :mod:`ledger.ingest.entries`), shown in history and carried
by the YAML export; what it means for the forecasts that count is in :mod:`ledger.rules`. The
CLI's ``edit``, ``withdraw`` and ``merge`` and the dashboard's question page call these.
"""

from __future__ import annotations

from typing import Any

from ledger import rules
from ledger.errors import AlreadyResolved, InvalidValue, NothingToWithdraw, NotYours
from ledger.ingest.entries import merge_entry, question_entry, withdrawal_entry
from ledger.ingest.lookup import find_question, merges
from ledger.storage.store import Ledger, append

#: What ``edit`` may change (the rest of a version is carried over).
EDITABLE = ("question", "criteria", "resolve_by", "tags")


def _reason(reason: str | None, what: str) -> str:
    from pydantic import TypeAdapter, ValidationError

    from ledger.format.models import ShortText

    if reason is None or not reason.strip():
        raise InvalidValue(f"reason: {what} needs a reason", '--reason "why"')
    try:
        return TypeAdapter(ShortText).validate_python(reason)
    except ValidationError as exc:
        from ledger.ingest.importer import _message

        err = exc.errors(include_url=False)[0]
        raise InvalidValue(f"reason: {_message(err['type'], err, err.get('input'))}") from None


def _resolution(con: Any, qid: str) -> tuple | None:
    found = con.execute(
        f"SELECT outcome, resolved_on FROM resolutions WHERE question_id = $1 "
        f"ORDER BY {rules.RESOLUTION_ORDER} DESC LIMIT 1", [qid]).fetchall()
    return found[0] if found else None


def _current_version(con: Any, qid: str) -> dict:
    cur = con.execute(f"SELECT * FROM ({rules.current_questions_sql()}) WHERE id = $1", [qid])
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchall()[0], strict=True))


def edit_question(ledger: Ledger, qid: str, *, reason: str | None,
                  question: str | None = None, criteria: str | None = None,
                  resolve_by: Any = None, tags: list[str] | tuple[str, ...] | None = None,
                  clarification: bool = False) -> dict:
    """Add a new version of a question with the given fields changed.

    Forecasts made before an edit that changes what the question asks are flagged as answering
    an older text (:func:`ledger.rules.changes_meaning`) unless ``clarification``; moving the
    resolve-by date after forecasts were made is flagged either way
    (:func:`ledger.rules.moved_goalposts`). Returns ``{"id", "version", "changed",
    "changes_meaning"}``.
    """
    from ledger.format.models import Question
    from ledger.ingest.actions import _validate

    why = _reason(reason, "an edit")
    with ledger.transaction() as con:
        kept = find_question(con, qid)
        current = _current_version(con, kept)
        given = {"question": question, "criteria": criteria, "resolve_by": resolve_by,
                 "tags": list(tags) if tags is not None else None}
        new = _validate(Question, id=kept, opened=current["opened"],
                        **{k: current[k] if v is None else v for k, v in given.items()})
        content = {k: current[k] for k in rules.QUESTION_CONTENT}
        content.update({k: getattr(new, k) for k in EDITABLE})
        changed = [k for k in EDITABLE if content[k] != current[k]
                   and not (k == "tags" and list(content[k]) == list(current[k] or []))]
        if not changed:
            raise InvalidValue(f"question: the edit changes nothing in {kept!r} (give a new "
                               "question, criteria, resolve-by date or tags)")
        if new.resolve_by < current["opened"]:
            raise InvalidValue(f"resolve_by: {new.resolve_by} is before the question was "
                               f"opened ({current['opened']})")
        version = current["version"] + 1
        append(con, [question_entry(kept, version, content, edit_reason=why,
                                    clarification=clarification)])
    after = {**content, "clarification": clarification}
    return {"id": kept, "version": version, "changed": changed,
            "changes_meaning": rules.changes_meaning(current, after)}


def withdraw_forecast(ledger: Ledger, qid: str, *, by: str, forecaster: str | None = None,
                      reason: str | None) -> dict:
    """``by`` withdraws their latest standing forecast on ``qid`` (the one before it stands
    again). ``forecaster``, when given, must be ``by``: nobody withdraws another's forecast.

    Returns ``{"id", "seq", "withdrawn", "standing"}``: the withdrawal's entry number, the
    withdrawn forecast and the one that stands now (None when none does).
    """
    from ledger.format.models import check_name

    who = check_name(by.strip())
    whose = check_name(forecaster.strip()) if forecaster is not None else who
    why = _reason(reason, "a withdrawal")
    with ledger.transaction() as con:
        kept = find_question(con, qid)
        if whose != who:
            raise NotYours(f"{who} cannot withdraw {whose}'s forecast on {kept!r}: only its "
                           "forecaster can", f"ask {whose} to run `forecast-ledger --as "
                           f"{whose} withdraw {kept}`", field="forecaster")
        held = _resolution(con, kept)
        if not rules.may_fix(held is not None):
            raise AlreadyResolved(f"{kept!r} resolved {held[0]} on {held[1]}; forecasts cannot "
                                  "be withdrawn once the outcome is known",
                                  "a late correction of the resolution is "
                                  "`forecast-ledger resolve --correct`", field="forecaster")
        ids = [kept, *[d for d, k in merges(con).items() if k == kept]]
        cur = con.execute("SELECT * FROM forecasts WHERE question_id IN (SELECT unnest($1)) "
                          "AND forecaster = $2", [ids, who])
        names = [d[0] for d in cur.description]
        mine = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        gone = {s for (s,) in con.execute(
            "SELECT forecast_seq FROM withdrawals WHERE forecast_seq IN (SELECT unnest($1))",
            [[f["seq"] for f in mine]]).fetchall()}
        target = rules.withdrawal_target(mine, gone)
        if target is None:
            raise NothingToWithdraw(
                f"{who} has no forecast on {kept!r} to withdraw"
                + (" (every one is withdrawn already)" if mine else ""),
                "see `forecast-ledger show " + kept + "`", field="forecaster")
        (seq,) = append(con, [withdrawal_entry(target["question_id"], who, target["seq"],
                                               reason=why)])
        left = rules.withdrawal_target(mine, gone | {target["seq"]})
    return {"id": kept, "seq": seq, "withdrawn": _brief(target), "standing": _brief(left)}


def _brief(f: dict | None) -> dict | None:
    if f is None:
        return None
    return {"seq": f["seq"], "probability": f["probability"], "made_on": f["made_on"]}


def merge_questions(ledger: Ledger, duplicate: str, into: str, *, reason: str | None) -> dict:
    """Merge question ``duplicate`` into ``into``: the duplicate's forecasts count on the kept
    question from now on, its id resolves to the kept one everywhere, and it leaves every
    list. Refused once either is resolved (:func:`ledger.rules.may_fix`).

    Returns ``{"seq", "duplicate", "kept", "forecasts"}`` (how many forecasts now count on
    the kept question from the duplicate).
    """
    why = _reason(reason, "a merge")
    with ledger.transaction() as con:
        merged = merges(con)
        if duplicate in merged:
            raise InvalidValue(f"duplicate: {duplicate!r} was already merged into "
                               f"{merged[duplicate]!r}", "nothing to do")
        dup = find_question(con, duplicate)
        kept = find_question(con, into)
        if dup == kept:
            raise InvalidValue(f"into: {into!r} is {duplicate!r} itself"
                               + (f" (merged into {kept!r})" if kept != into else "")
                               + "; merge a question into another one",
                               "give the id of the question to keep")
        for qid in (dup, kept):
            held = _resolution(con, qid)
            if not rules.may_fix(held is not None):
                raise AlreadyResolved(
                    f"{qid!r} resolved {held[0]} on {held[1]}; questions are merged only "
                    "before either is resolved", "keep both: a resolved question's scores "
                    "stand as they are", field="into" if qid == kept else "duplicate")
        (seq,) = append(con, [merge_entry(dup, kept, reason=why)])
        moved = con.execute(
            "SELECT count(*) FROM forecasts WHERE question_id IN (SELECT unnest($1))",
            [[dup, *[d for d, k in merged.items() if k == dup]]]).fetchall()[0][0]
    return {"seq": seq, "duplicate": dup, "kept": kept, "forecasts": moved}
