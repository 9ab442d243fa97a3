"""Exporting the ledger: YAML (re-imports to an identical ledger), CSV, JSON, Parquet, iCalendar.

YAML and JSON hold the full history a forecast file can express: every source, each question's
current version, every forecast with when it was made and recorded, and every resolution with its
corrections. CSV and Parquet are one flat row per forecast, for spreadsheets and notebooks. ICS is
a calendar of resolve-by dates of unresolved questions, so people get reminders.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ledger.errors import InvalidValue, OutputExists
from ledger.format.dates import format_moment, iso_utc
from ledger.reports.queries import rows

FORMATS = ("yaml", "json", "csv", "parquet", "ics")

FLAT_SQL = """
SELECT f.seq, f.question_id, {question} AS question, {criteria} AS criteria, q.resolve_by,
       q.opened, {tags} AS tags, {source_id} AS source_id, {forecaster} AS forecaster,
       f.probability,
       -- made_at as written: a date alone, or the local time with its UTC offset
       CASE WHEN f.utc_offset IS NULL THEN CAST(f.made_on AS VARCHAR)
            ELSE strftime(f.made_at + to_minutes(f.utc_offset), '%Y-%m-%dT%H:%M:%S.%f')
                 || CASE WHEN f.utc_offset < 0 THEN '-' ELSE '+' END
                 || lpad(CAST(abs(f.utc_offset) // 60 AS VARCHAR), 2, '0') || ':'
                 || lpad(CAST(abs(f.utc_offset) % 60 AS VARCHAR), 2, '0') END AS made_at,
       f.made_on, f.utc_offset, strftime(f.recorded_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS recorded_at,
       {basis} AS basis, {implied_from} AS implied_from, {rationale} AS rationale, f.late,
       {outcome} AS outcome, r.resolved_on, {evidence} AS evidence,
       -- when the question and its first resolution were recorded: a re-import keeps them,
       -- so a forecast recorded after the resolution stays late
       strftime(q.created_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS question_recorded_at,
       strftime(r.first_recorded_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS resolution_recorded_at
FROM forecasts_flagged f
JOIN current_questions q ON q.id = f.question_id
LEFT JOIN current_resolutions r ON r.question_id = f.question_id
ORDER BY f.question_id, f.made_at, f.seq
"""


# The text columns of a flat export, and where each comes from.
_FLAT_TEXT = {"question": "q.question", "criteria": "q.criteria",
              "tags": "array_to_string(q.tags, ';')", "source_id": "q.source_id",
              "forecaster": "f.forecaster", "basis": "f.basis", "implied_from": "f.implied_from",
              "rationale": "f.rationale", "outcome": "r.outcome", "evidence": "r.evidence"}
# A spreadsheet runs a cell starting with one of these as a formula (OWASP, CSV injection);
# a CSV cell starting with one, or with the guard itself, gets the guard in front, and
# forecast-ledger's CSV import takes exactly one guard off again (ledger/ingest/bulk_read.py).
CSV_FORMULA_STARTS = "=+-@\t\r"
CSV_GUARD = "'"


def flat_sql(*, spreadsheet_safe: bool) -> str:
    """One row per forecast; text cells guarded against formulas when ``spreadsheet_safe``
    (CSV: numbers and dates are not text cells and are left as they are)."""
    if not spreadsheet_safe:
        return FLAT_SQL.format(**_FLAT_TEXT)
    starts = ", ".join(f"chr({ord(c)})" for c in CSV_FORMULA_STARTS + CSV_GUARD)
    return FLAT_SQL.format(**{
        c: f"CASE WHEN left({e}, 1) IN ({starts}) THEN chr({ord(CSV_GUARD)}) || {e} ELSE {e} END"
        for c, e in _FLAT_TEXT.items()})


def _utc_text(ts: datetime) -> str:
    return iso_utc(ts) + "+00:00"


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != [] and v is not False}


def documents(con: Any) -> list[dict[str, Any]]:
    """The ledger as forecast-file documents: one per source, then personal questions."""
    sources = rows(con, "SELECT * FROM sources QUALIFY row_number() OVER "
                        "(PARTITION BY id ORDER BY seq) = 1 ORDER BY seq")
    questions = rows(con, "SELECT * FROM current_questions ORDER BY created_at, id")
    forecasts: dict[str, list] = {}
    for f in rows(con, "SELECT * FROM forecasts ORDER BY seq"):
        forecasts.setdefault(f["question_id"], []).append(_drop_empty({
            "forecaster": f["forecaster"], "probability": f["probability"],
            "made_at": format_moment(f["made_at"], f["made_on"], f["utc_offset"]),
            "recorded_at": _utc_text(f["recorded_at"]), "rationale": f["rationale"],
            "basis": f["basis"] if f["basis"] != "stated" else None,
            "implied_from": f["implied_from"]}))
    resolutions: dict[str, list] = {}
    for r in rows(con, "SELECT * FROM resolutions ORDER BY seq"):
        resolutions.setdefault(r["question_id"], []).append(_drop_empty({
            "outcome": r["outcome"], "resolved_on": r["resolved_on"], "evidence": r["evidence"],
            "note": r["note"], "resolved_by": r["resolved_by"], "reason": r["reason"],
            "recorded_at": _utc_text(r["recorded_at"])}))
    by_source: dict[str | None, list] = {}
    for q in questions:
        item = _drop_empty({
            "id": q["id"], "question": q["question"], "criteria": q["criteria"],
            "resolve_by": q["resolve_by"], "opened": q["opened"], "tags": list(q["tags"] or []),
            "source": q["source_id"], "quote": q["quote"], "horizon": q["horizon"],
            "resolve_by_rule": q["resolve_by_rule"],
            "reference": _drop_empty({"probability": q["reference_probability"],
                                      "note": q["reference_note"]})
            if q["reference_probability"] is not None else None,
            "blind": q["blind"], "forecasts": forecasts.get(q["id"], [])})
        held = resolutions.get(q["id"], [])
        if len(held) == 1:
            item["resolution"] = held[0]
        elif held:
            item["resolutions"] = held
        by_source.setdefault(q["source_id"], []).append(item)
    docs = []
    for s in sources:
        qs = by_source.pop(s["id"], [])
        for item in qs:
            item.pop("source", None)  # the document's own source
        src = _drop_empty({k: s[k] for k in ("id", "title", "publisher", "author", "url",
                                              "published")})
        docs.append({"source": src, "questions": [_opened_last(i, s) for i in qs]})
    orphans = [i for qs in by_source.values() for i in qs]
    if orphans or not docs:
        docs.append({"questions": orphans})
    return docs


def _opened_last(item: dict, source: dict) -> dict:
    # opened defaults to the source's published date; keep it explicit only where it differs
    if source.get("published") is not None and item.get("opened") == source["published"]:
        item.pop("opened")
    return item


def to_yaml(con: Any) -> str:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    # Never write anchors/aliases (the importer refuses them) even when values are shared.
    dumper = type("NoAliasDumper", (base,), {"ignore_aliases": lambda self, data: True})
    head = "# forecast-ledger export; re-import with: forecast-ledger import FILE\n"
    return head + yaml.dump_all(documents(con), Dumper=dumper, sort_keys=False,
                                allow_unicode=True, width=100, explicit_start=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(con: Any) -> str:
    return json.dumps({"documents": documents(con)}, default=_json_default,
                      ensure_ascii=False, indent=2) + "\n"


def to_ics(con: Any) -> str:
    """A calendar with one all-day event per unresolved question, on its resolve-by date."""
    from ledger.format.dates import utc_now

    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//forecast-ledger//EN",
             "CALSCALE:GREGORIAN", "X-WR-CALNAME:Forecasts to resolve"]
    for q in rows(con, """SELECT q.id, q.question, q.criteria, q.resolve_by FROM current_questions q
                          WHERE q.id NOT IN (SELECT question_id FROM resolutions)
                          ORDER BY q.resolve_by, q.id"""):
        day = q["resolve_by"]
        nxt = date.fromordinal(day.toordinal() + 1)
        lines += ["BEGIN:VEVENT", _fold("UID:" + _ics_text(f"{q['id']}@forecast-ledger")),
                  f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{nxt:%Y%m%d}",
                  _fold("SUMMARY:" + _ics_text(f"Resolve: {q['question']}")),
                  _fold("DESCRIPTION:" + _ics_text(
                      f"{q['criteria']}\n\nforecast-ledger resolve {q['id']} yes|no")),
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def _ics_text(text: str) -> str:
    """RFC 5545 3.3.11 TEXT: backslash, ``;`` and ``,`` escaped, every line break (CRLF, LF or
    a bare CR) written as ``\\n``, other control characters dropped (the ledger file may have
    been edited: no text can start a property line of its own)."""
    text = (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n"))
    return _ICS_CONTROL.sub("", text)


_ICS_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


def _fold(line: str) -> str:
    # RFC 5545: lines longer than 75 octets are folded with CRLF + space
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode()) > 75:
            out.append(current)
            current = " " + ch
        else:
            current += ch
    out.append(current)
    return "\r\n".join(out)


def export(con: Any, fmt: str, out: str | os.PathLike[str] | None = None, *,
           force: bool = False) -> str | None:
    """Export in ``fmt``. With ``out`` writes the file (refusing to overwrite unless ``force``)
    and returns None; without, returns the text (not for parquet)."""
    if fmt not in FORMATS:
        raise InvalidValue(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    path = Path(out) if out is not None else None
    if path is not None and path.exists() and not force:
        raise OutputExists(f"{path} exists", "add --force to overwrite it, or choose another --out")
    if fmt in ("csv", "parquet"):
        if path is None and fmt == "parquet":
            raise InvalidValue("out: Parquet is binary; give a file with --out PATH")
        if path is None:
            # The text DuckDB writes to a file, so printed and written CSV are the same bytes
            # (quoting every cell with a line break or a bare CR, which Python's writer
            # leaves bare when rows end in LF).
            import tempfile

            with tempfile.TemporaryDirectory(prefix="forecast-ledger-") as folder:
                tmp = Path(folder) / "export.csv"
                con.execute(f"COPY ({flat_sql(spreadsheet_safe=True)}) TO '{_sql_path(tmp)}' "
                            "(FORMAT csv, HEADER)")
                return tmp.read_bytes().decode("utf-8")
        # Written to a fresh temporary name beside the target, then renamed over it.
        import tempfile

        tmp_dir = Path(tempfile.mkdtemp(prefix=".export-", dir=path.parent or "."))
        tmp = tmp_dir / path.name
        option = "FORMAT csv, HEADER" if fmt == "csv" else "FORMAT parquet"
        try:
            sql = flat_sql(spreadsheet_safe=fmt == "csv")
            con.execute(f"COPY ({sql}) TO '{_sql_path(tmp)}' ({option})")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
            tmp_dir.rmdir()
        return None
    text = {"yaml": to_yaml, "json": to_json, "ics": to_ics}[fmt](con)
    if path is None:
        return text
    _write_atomic(path, text.encode("utf-8"))
    return None


def _write_atomic(path: Path, data: bytes) -> None:
    """Write beside ``path`` in a fresh file (O_EXCL: never through a planted symlink), then
    rename over it, so a failed export leaves no half-written file."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sql_path(path: Path) -> str:
    # COPY takes no parameters for its target; quotes are doubled so any path is safe.
    return str(path).replace("'", "''")
