"""Exports that are safe to open: CSV cells are not spreadsheet formulas, ICS text cannot
start property lines of its own."""

from __future__ import annotations

import csv
import io
import re

import duckdb
from conftest import Cli, write

FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "'quoted already"]


def _doc(texts: list[str]) -> str:
    forecasts = "".join(
        f"      - forecaster: {t!r}\n        probability: 0.{i + 1}\n"
        f"        made_at: 2026-01-0{i + 2}\n        rationale: {t!r}\n"
        for i, t in enumerate(texts))
    return ("questions:\n  - id: q-s\n    question: \"=1+1 or not?\"\n"
            "    criteria: \"-Yes if so.\"\n    resolve_by: 2026-06-01\n"
            "    opened: 2026-01-01\n    tags: ['-minus', '@at']\n"
            f"    forecasts:\n{forecasts}"
            "      - forecaster: west\n        probability: 0.5\n"
            "        made_at: 2026-01-09T22:30:00-07:00\n")


def _cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_text_cells_are_guarded_against_formulas_and_read_back_exactly(run, tmp_path):
    assert run("import", str(write(tmp_path / "s.yaml", _doc(FORMULAS)))).exit_code == 0
    out = tmp_path / "flat.csv"
    assert run("export", "--format", "csv", "--out", str(out)).exit_code == 0
    printed = run("export", "--format", "csv").stdout
    for text in (out.read_text(encoding="utf-8"), printed):
        rows = _cells(text)
        for row in rows:
            for column in ("question", "criteria", "tags", "forecaster", "rationale"):
                cell = row[column]
                assert not cell or cell[0] not in "=+-@\t\r", (column, cell)
        by_name = {r["forecaster"]: r for r in rows}
        assert by_name["'=HYPERLINK(\"http://x\")"]["rationale"] == "'=HYPERLINK(\"http://x\")"
        assert by_name["''quoted already"]["rationale"] == "''quoted already"
        assert rows[0]["question"] == "'=1+1 or not?" and rows[0]["tags"] == "'-minus;@at"
        # numbers are not text cells: a negative offset stays a number
        assert by_name["west"]["utc_offset"] == "-420"
    other = Cli(tmp_path / "other.duckdb")
    assert other("import", str(out)).exit_code == 0
    shown, again = run.json("show", "q-s"), other.json("show", "q-s")
    assert again["question"] == "=1+1 or not?" and again["criteria"] == "-Yes if so."
    assert again["tags"] == ["-minus", "@at"]
    assert [(f["forecaster"], f["rationale"]) for f in again["forecast_history"]] == \
        [(f["forecaster"], f["rationale"]) for f in shown["forecast_history"]]
    assert {f["forecaster"] for f in again["forecast_history"]} >= set(FORMULAS)


def test_a_tab_or_carriage_return_at_the_start_of_an_edited_cell_is_guarded(run, tmp_path, db):
    assert run("import", str(write(tmp_path / "s.yaml", _doc(["ann"])))).exit_code == 0
    with duckdb.connect(str(db)) as con:  # the ledger file is not trusted: edited outside
        con.execute("UPDATE questions SET criteria = chr(9) || 'tab', question = chr(13) || 'cr'")
    for out in (tmp_path / "flat.csv", None):
        if out is not None:
            assert run("export", "--format", "csv", "--out", str(out)).exit_code == 0
        text = run("export", "--format", "csv").stdout_bytes if out is None else \
            out.read_bytes()
        rows = _cells(text.decode("utf-8"))
        assert (rows[0]["criteria"], rows[0]["question"]) == ("'\ttab", "'\rcr")


def _unfold(text: str) -> list[str]:
    assert "\r\n" in text
    assert not re.search("\r(?!\n)|(?<!\r)\n", text), "a bare CR or LF"
    physical = text.split("\r\n")
    assert physical[-1] == ""
    for line in physical:
        assert len(line.encode("utf-8")) <= 75, line
    logical: list[str] = []
    for line in physical[:-1]:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_ics_text_is_escaped_folded_and_cannot_inject_properties(run, tmp_path, db):
    doc = ("questions:\n  - id: q-i\n    question: Will a long, long question; with commas, "
           "semicolons \\ and accents é ü 日本語 be folded at seventy-five octets?\n"
           "    criteria: \"Line one;\\nLine two, with a comma\"\n"
           "    resolve_by: 2026-06-01\n    opened: 2026-01-01\n")
    assert run("import", str(write(tmp_path / "i.yaml", doc))).exit_code == 0
    hostile = "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:pwned\rDESCRIPTION:bare\nLF"
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE questions SET criteria = ?", [hostile])
    out = tmp_path / "due.ics"
    assert run("export", "--format", "ics", "--out", str(out)).exit_code == 0
    lines = _unfold(out.read_bytes().decode("utf-8"))
    props = [re.match(r"^([A-Z-]+)[;:]", line).group(1) for line in lines]
    assert props == ["BEGIN", "VERSION", "PRODID", "CALSCALE", "X-WR-CALNAME", "BEGIN", "UID",
                     "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "END", "END"]
    fields = {line.split(":", 1)[0]: line.split(":", 1)[1] for line in lines}
    assert _unescape(fields["SUMMARY"]) == (
        "Resolve: Will a long, long question; with commas, semicolons \\ and accents é ü 日本語 "
        "be folded at seventy-five octets?")
    assert _unescape(fields["DESCRIPTION"]) == (
        "x\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:pwned\nDESCRIPTION:bare\nLF\n\n"
        "forecast-ledger resolve q-i yes|no")
