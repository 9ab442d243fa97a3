"""The Log page's upload of another platform's export, under AppTest on real ledger files: the
preview is the library's dry-run summary, Import writes what the CLI would, a bad file shows the
library's file:line message and writes nothing; the question page shows Fatebook's Brier
score beside the ledger's."""

from __future__ import annotations

import sys

from conftest import ROOT, Cli, snapshot, write
from streamlit.testing.v1 import AppTest
from test_platforms_fatebook import ROWS, export_csv

from ledger.ingest.platforms.common import import_platform
from ledger.storage.store import Ledger

sys.path.insert(0, str(ROOT / "dashboard"))
APP = ROOT / "dashboard" / "streamlit_app.py"


def plain(text: str) -> str:
    """Text as shown: without the escapes that keep it from being read as markdown."""
    return text.replace("\\", "")


def log_page(monkeypatch, db, viewer="me") -> AppTest:
    monkeypatch.setenv("FORECAST_LEDGER_DB", str(db))
    monkeypatch.setenv("FORECAST_LEDGER_FORECASTER", viewer)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("app_pages/log.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, platform: str, name: str, data: bytes) -> AppTest:
    at.selectbox(key="up_platform").set_value(platform).run()
    at.file_uploader(key="up_files").set_value([(name, data, "text/csv")]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_upload_previews_the_dry_run_then_imports_what_the_cli_would(monkeypatch, tmp_path):
    data = export_csv(ROWS).encode()
    db = tmp_path / "ui.duckdb"
    at = upload(log_page(monkeypatch, db), "fatebook", "fatebook.csv", data)
    # the library's own dry run of the same file, for the expected preview
    same = write(tmp_path / "cli" / "fatebook.csv", data.decode())
    expected = import_platform(Ledger(tmp_path / "none.duckdb"), "fatebook", [same],
                               forecaster="me", dry_run=True).summary()
    assert [c.value for c in at.code if c.value.startswith("Fatebook")] == [expected]
    assert "would add" in expected and not db.exists()
    at.button(key="up_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value.replace("\\", "").replace("  \n", "\n") for s in at.success] == [
        expected.replace("would add", "added")]
    cli_db = tmp_path / "cli.duckdb"
    assert Cli(cli_db)("import", "--from", "fatebook", str(same)).exit_code == 0
    assert Cli(db).json("list") == Cli(cli_db).json("list")


def test_upload_of_a_bad_file_shows_file_line_and_writes_nothing(monkeypatch, tmp_path):
    bad = export_csv([ROWS[0], {**ROWS[1], "Forecast (scale = 0-1)": "lots"}]).encode()
    db = tmp_path / "ui.duckdb"
    at = upload(log_page(monkeypatch, db), "fatebook", "fb.csv", bad)
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("fb.csv:4: probability: 'lots' is not")
    assert not [b for b in at.button if b.key == "up_import"]
    assert snapshot(db) == "<no ledger file>"


def test_question_page_shows_fatebooks_brier_beside_the_ledgers(monkeypatch, tmp_path):
    db = tmp_path / "q.duckdb"
    path = write(tmp_path / "fatebook.csv", export_csv(ROWS[:2]))
    assert Cli(db)("import", "--from", "fatebook", str(path)).exit_code == 0
    qid = next(q["id"] for q in Cli(db).json("list") if q["status"] == "resolved")
    monkeypatch.setenv("FORECAST_LEDGER_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.query_params["id"] = qid
    at.switch_page("app_pages/question.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = plain("\n".join(str(c.value) for c in at.caption))
    # Alice said 70% and it happened, Bob 40%: final-forecast Brier 0.09 and 0.36
    assert "Fatebook's Brier score for the exporting account: 0.0625" in shown
    assert "Alice 0.090" in shown and "Bob 0.360" in shown
