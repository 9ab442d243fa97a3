"""Exporting the ledger: YAML (re-imports to an identical ledger), CSV, JSON, Parquet, iCalendar.

YAML and JSON hold the full history a forecast file can express: every source, each question's
current version, every forecast with when it was made and recorded, and every resolution with its
corrections. CSV and Parquet are one flat row per forecast, for spreadsheets and notebooks. ICS is
a calendar of resolve-by dates of unresolved questions, so people get reminders.
"""

from __future__ import annotations

import errno
import glob
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ledger import rules
from ledger.errors import DiskFull, InvalidValue, LedgerError, OutputExists
from ledger.format.dates import format_moment, iso_utc
from ledger.reports.queries import rows

FORMATS = rules.EXPORT_FORMATS

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
WHERE NOT {withheld}
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


def _viewer_sql(viewer: str | None) -> str:
    return "NULL::VARCHAR" if viewer is None else "'" + viewer.replace("'", "''") + "'"


def flat_sql(*, spreadsheet_safe: bool, viewer: str | None = None,
             reveal_blind: bool = True) -> str:
    """One row per forecast; text cells guarded against formulas when ``spreadsheet_safe``
    (CSV: numbers and dates are not text cells and are left as they are). Unless
    ``reveal_blind``, rows ``viewer`` may not see are left out
    (:func:`ledger.rules.hidden_from`)."""
    withheld = "false" if reveal_blind else rules.withheld_sql("q", "f", _viewer_sql(viewer))
    if not spreadsheet_safe:
        return FLAT_SQL.format(withheld=withheld, **_FLAT_TEXT)
    starts = ", ".join(f"chr({ord(c)})" for c in CSV_FORMULA_STARTS + CSV_GUARD)
    return FLAT_SQL.format(withheld=withheld, **{
        c: f"CASE WHEN left({e}, 1) IN ({starts}) THEN chr({ord(CSV_GUARD)}) || {e} ELSE {e} END"
        for c, e in _FLAT_TEXT.items()})


def _withheld_rows(con: Any, viewer: str | None) -> int:
    return con.execute(
        "SELECT count(*) FROM forecasts f JOIN current_questions q ON q.id = f.question_id "
        f"WHERE {rules.withheld_sql('q', 'f', _viewer_sql(viewer))}").fetchall()[0][0]


def _utc_text(ts: datetime) -> str:
    return iso_utc(ts) + "+00:00"


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != [] and v is not False}


def _version(v: dict[str, Any], source_id: str | None) -> dict[str, Any]:
    """One version of a question as a forecast file writes it (its source only where it
    differs from the question's current one, which the document gives)."""
    return _drop_empty({
        "question": v["question"], "criteria": v["criteria"], "resolve_by": v["resolve_by"],
        "opened": v["opened"], "tags": list(v["tags"] or []),
        "source": v["source_id"] if v["source_id"] != source_id else None,
        "quote": v["quote"], "horizon": v["horizon"], "resolve_by_rule": v["resolve_by_rule"],
        "reference": _drop_empty({"probability": v["reference_probability"],
                                  "note": v["reference_note"]})
        if v["reference_probability"] is not None else None,
        "blind": v["blind"], "edit_reason": v["edit_reason"],
        "clarification": bool(v["clarification"]),
        "recorded_at": _utc_text(v["recorded_at"])})


@dataclass
class Documents:
    """The ledger as forecast-file documents, and how many forecasts were withheld."""

    docs: list[dict[str, Any]]
    withheld: int = 0


def documents(con: Any, *, viewer: str | None = None, reveal_blind: bool = True) -> Documents:
    """The ledger as forecast-file documents: one per source, then personal questions.

    Unless ``reveal_blind`` (a full backup), others' forecasts on blind questions are left out
    where ``viewer`` may not see them (:func:`ledger.rules.hidden_from`), and counted.
    """
    sources = rows(con, "SELECT * FROM sources QUALIFY row_number() OVER "
                        "(PARTITION BY id ORDER BY seq) = 1 ORDER BY seq")
    questions = rows(con, "SELECT * FROM current_questions ORDER BY created_at, id")
    forecasts: dict[str, list] = {}
    # A withdrawal is written on the forecast it withdraws, a merge on the duplicate.
    withdrawn = {w["forecast_seq"]: {"reason": w["reason"],
                                     "recorded_at": _utc_text(w["recorded_at"])}
                 for w in rows(con, "SELECT * FROM withdrawals ORDER BY seq")}
    merged = {m["duplicate_id"]: {"id": m["kept_id"], "reason": m["reason"],
                                  "recorded_at": _utc_text(m["recorded_at"])}
              for m in rows(con, "SELECT * FROM merges ORDER BY seq")}
    for f in rows(con, "SELECT * FROM forecasts ORDER BY seq"):
        forecasts.setdefault(f["question_id"], []).append(_drop_empty({
            "forecaster": f["forecaster"], "probability": f["probability"],
            "made_at": format_moment(f["made_at"], f["made_on"], f["utc_offset"]),
            "recorded_at": _utc_text(f["recorded_at"]), "rationale": f["rationale"],
            "basis": f["basis"] if f["basis"] != "stated" else None,
            "implied_from": f["implied_from"], "withdrawn": withdrawn.get(f["seq"])}))
    resolutions: dict[str, list] = {}
    for r in rows(con, "SELECT * FROM resolutions ORDER BY seq"):
        resolutions.setdefault(r["question_id"], []).append(_drop_empty({
            "outcome": r["outcome"], "resolved_on": r["resolved_on"], "evidence": r["evidence"],
            "note": r["note"], "resolved_by": r["resolved_by"], "reason": r["reason"],
            "recorded_at": _utc_text(r["recorded_at"])}))
    history: dict[str, list] = {}
    for v in rows(con, "SELECT * FROM questions ORDER BY id, version"):
        history.setdefault(v["id"], []).append(v)
    by_source: dict[str | None, list] = {}
    withheld = 0
    for q in questions:
        shown, hidden = rules.visible_forecasts(forecasts.get(q["id"], []), bool(q["blind"]),
                                                viewer)
        if hidden and not reveal_blind:
            withheld += len(forecasts.get(q["id"], [])) - len(shown)
        else:
            shown = forecasts.get(q["id"], [])
        earlier = history.get(q["id"], [])[:-1]
        item = {"id": q["id"], **_version(q, None),
                "history": [_version(v, q["source_id"]) for v in earlier],
                "forecasts": shown}
        item = _drop_empty(item)
        held = resolutions.get(q["id"], [])
        if len(held) == 1:
            item["resolution"] = held[0]
        elif held:
            item["resolutions"] = held
        if q["id"] in merged:
            item["merged_into"] = merged[q["id"]]
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
    return Documents(docs, withheld)


def _opened_last(item: dict, source: dict) -> dict:
    # opened defaults to the source's published date; keep it explicit only where it differs
    if source.get("published") is not None and item.get("opened") == source["published"]:
        item.pop("opened")
    return item


def to_yaml(con: Any, *, viewer: str | None = None, reveal_blind: bool = True) -> str:
    """The ledger as a YAML forecast file (several documents) that re-imports identically."""
    return _yaml_text(documents(con, viewer=viewer, reveal_blind=reveal_blind).docs)


def _yaml_text(docs: list[dict[str, Any]]) -> str:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    # Never write anchors/aliases (the importer refuses them) even when values are shared.
    dumper = type("NoAliasDumper", (base,), {"ignore_aliases": lambda self, data: True})
    head = "# forecast-ledger export; re-import with: forecast-ledger import FILE\n"
    return head + yaml.dump_all(docs, Dumper=dumper, sort_keys=False,
                                allow_unicode=True, width=100, explicit_start=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _json_text(docs: list[dict[str, Any]]) -> str:
    return json.dumps({"documents": docs}, default=_json_default,
                      ensure_ascii=False, indent=2) + "\n"


def to_ics(con: Any) -> str:
    """A calendar with one all-day event per unresolved question, on its resolve-by date."""
    from ledger.format.dates import utc_now

    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//forecast-ledger//EN",
             "CALSCALE:GREGORIAN", "X-WR-CALNAME:Forecasts to resolve"]
    for q in rows(con, """SELECT q.id, q.question, q.criteria, q.resolve_by FROM current_questions q
                          WHERE q.id NOT IN (SELECT question_id FROM resolutions)
                            AND q.id NOT IN (SELECT duplicate_id FROM merges)
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


@dataclass
class Exported:
    """What :func:`export` made: the text (None when written to a file) and how many
    forecasts on blind questions were withheld from the viewer."""

    text: str | None
    withheld: int = 0


def export(con: Any, fmt: str, out: str | os.PathLike[str] | None = None, *,
           force: bool = False, viewer: str | None = None,
           reveal_blind: bool = False) -> Exported:
    """Export in ``fmt``. With ``out`` writes the file (refusing to overwrite unless ``force``);
    without, returns the text (not for parquet). Others' forecasts on blind questions are
    withheld from ``viewer`` as everywhere (:func:`ledger.rules.hidden_from`) unless
    ``reveal_blind``, which a full backup needs."""
    if fmt not in FORMATS:
        raise InvalidValue(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    path = Path(out) if out is not None else None
    if path is not None and path.exists() and not force:
        raise OutputExists(f"{path} exists", "add --force to overwrite it, or choose another --out")
    if fmt in ("csv", "parquet"):
        withheld = 0 if reveal_blind else _withheld_rows(con, viewer)
        if path is None and fmt == "parquet":
            raise InvalidValue("out: Parquet is binary; give a file with --out PATH")
        if path is None:
            # The text DuckDB writes to a file, so printed and written CSV are the same bytes
            # (quoting every cell with a line break or a bare CR, which Python's writer
            # leaves bare when rows end in LF).
            import tempfile

            with tempfile.TemporaryDirectory(prefix="forecast-ledger-") as folder:
                tmp = Path(folder) / "export.csv"
                sql = flat_sql(spreadsheet_safe=True, viewer=viewer, reveal_blind=reveal_blind)
                con.execute(f"COPY ({sql}) TO '{_sql_path(tmp)}' (FORMAT csv, HEADER)")
                return Exported(tmp.read_bytes().decode("utf-8"), withheld)
        option = "FORMAT csv, HEADER" if fmt == "csv" else "FORMAT parquet"
        sql = flat_sql(spreadsheet_safe=fmt == "csv", viewer=viewer, reveal_blind=reveal_blind)
        # USE_TMP_FILE false: DuckDB would otherwise write its own tmp_ file beside the target.
        _write_atomic(path, lambda target: con.execute(
            f"COPY ({sql}) TO '{_sql_path(Path(target))}' ({option}, USE_TMP_FILE false)"))
        return Exported(None, withheld)
    withheld = 0
    if fmt == "ics":
        text = to_ics(con)
    else:
        found = documents(con, viewer=viewer, reveal_blind=reveal_blind)
        text, withheld = (_yaml_text if fmt == "yaml" else _json_text)(found.docs), found.withheld
    if path is None:
        return Exported(text, withheld)
    _write_atomic(path, text.encode("utf-8"))
    return Exported(None, withheld)


def _write_atomic(path: Path, data: bytes | Callable[[str], Any]) -> None:
    """Write ``data`` (bytes, or a function writing the file it is given) to ``path`` so that
    a failure, or a kill at any moment, leaves the old file or none, and nothing beside it.

    The data goes into an unnamed file in the target's folder (Linux O_TMPFILE: the kernel
    frees it if the process dies); only once complete and synced is it linked under a
    temporary name and renamed over ``path``. Elsewhere a named ``.NAME.PID.*.partial`` is
    used (O_EXCL: never through a planted symlink). Partials left by dead processes (a kill
    between link and rename) are removed first.
    """
    import secrets
    import tempfile

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidValue(f"cannot write {path}: the folder {folder} does not exist",
                           "create it first, or choose another --out")
    _remove_stale_partials(folder, path.name)
    tmp: str | None = None
    fd = -1
    try:
        try:
            fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o644)
            target = f"/proc/self/fd/{fd}"
        except (AttributeError, OSError):
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.",
                                       suffix=".partial", dir=folder)
            target = tmp
        if callable(data):
            data(target)
        else:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        os.fsync(fd)
        if tmp is None:
            tmp = str(folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
            root = os.open("/", os.O_RDONLY)  # a dir fd makes os.link use linkat(FOLLOW)
            try:
                os.link(target, tmp, src_dir_fd=root, follow_symlinks=True)
            finally:
                os.close(root)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise _not_written(path, exc.errno == errno.ENOSPC, exc.strerror or str(exc)) from None
    except Exception as exc:  # DuckDB's COPY reports a full disk as its own IOException
        if type(exc).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
            raise
        text = str(exc).splitlines()[0]
        raise _not_written(path, "No space left" in text, text) from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _not_written(path: Path, full: bool, why: str) -> LedgerError:
    if full:
        return DiskFull(f"cannot write {path}: the disk is full; nothing was written there",
                        "free some space and try again")
    return LedgerError(f"cannot write {path}: {why}; nothing was written there")


def _remove_stale_partials(folder: Path, name: str) -> None:
    for stale in folder.glob(f".{glob.escape(name)}.*.partial"):
        pid = stale.name[len(name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _sql_path(path: Path) -> str:
    # COPY takes no parameters for its target; quotes are doubled so any path is safe.
    return str(path).replace("'", "''")
