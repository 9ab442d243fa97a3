"""Anchors: a head kept elsewhere catches what a hash chain cannot see by itself, a history
recomputed from scratch and a tail cut off, through ``verify --expect-head`` and a witness file
(``forecast-ledger witness``; ``LEDGER.witness`` beside the ledger is checked by default)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import DATA
from tampering import quick_verify_too, rederive_pairs  # noqa: F401 (an autouse fixture)

from ledger.ingest.actions import add_forecast
from ledger.ingest.importer import import_paths
from ledger.storage.store import Ledger

RESTORE = "(restore the ledger from a backup)"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("witness") / "template.duckdb"
    ledger = Ledger(path)
    import_paths(ledger, [DATA / "good.yaml"])
    add_forecast(ledger, "sample-price-rises", "30%", forecaster="dave", made_at="2026-02-01")
    return path  # entries 1-9, a block each


@pytest.fixture
def made(template: Path, db: Path) -> Path:
    shutil.copy(template, db)
    return db


def witness_file(db: Path) -> Path:
    return db.with_name(db.name + ".witness")


def head(run) -> tuple[int, str]:
    got = run.json("verify")
    return got["entries"], got["head"]


def rewrite_whole_chain(db: Path) -> None:
    """Alice's 70% becomes 95% in the log and its table, and every block is recomputed from
    genesis with hashlib, as the README documents them: consistent, so verify alone passes."""
    con = duckdb.connect(str(db))
    con.execute("""UPDATE entries SET body = replace(body, '"probability":0.7', '"probability"
                   :0.95') WHERE seq = 3""".replace("\n                   ", ""))
    con.execute("UPDATE forecasts SET probability = 0.95 WHERE seq = 3")
    rederive_pairs(con)
    prev = "0" * 64
    for seq, body in con.execute("SELECT seq, body FROM entries ORDER BY seq").fetchall():
        content = hashlib.sha256(body.encode()).hexdigest()
        prev = hashlib.sha256(f"{prev}\n{seq}\n{seq}\n{content}".encode()).hexdigest()
        con.execute("UPDATE blocks SET content = ?, hash = ? WHERE first_seq = ?",
                    [content, prev, seq])
    con.close()


def cut_tail(db: Path) -> None:
    con = duckdb.connect(str(db))
    for table in ("entries", "forecasts"):
        con.execute(f"DELETE FROM {table} WHERE seq = 9")
    rederive_pairs(con)
    con.execute("DELETE FROM blocks WHERE first_seq = 9")
    con.close()


def test_witness_appends_the_entry_number_head_and_utc_time(run, made):
    first = run("witness")
    assert first.exit_code == 0, first.stderr
    seq, digest = head(run)
    target = witness_file(made)
    assert first.stdout.strip() == f"witnessed entry #{seq}, head {digest}, in {target}"
    assert run("forecast", "sample-ships", "--p", "0.4", "--at", "2026-03-02").exit_code == 0
    assert run("witness").exit_code == 0
    lines = target.read_text().splitlines()
    assert len(lines) == 2
    assert re.fullmatch(rf"{seq} {digest} \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lines[0])
    assert lines[1].split()[:2] == [str(seq + 1), head(run)[1]]


def test_a_consistent_rewrite_of_the_whole_chain_is_caught_by_the_witness(run, made):
    assert run("witness").exit_code == 0
    before = run("export").stdout
    rewrite_whole_chain(made)
    assert run("verify", "--witness", "/dev/null").exit_code == 0  # the chain alone checks
    assert run("export").stdout != before
    result = run("verify")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {witness_file(made)}:1: the chain no longer has the witnessed head "
        f"{witness_file(made).read_text().split()[1][:12]}... at entry #9: history up to there "
        f"was rewritten {RESTORE}")


def test_a_cut_tail_is_caught_by_the_witness(run, made):
    elsewhere = made.parent / "kept" / "ledger.witness"
    elsewhere.parent.mkdir()
    assert run("witness", "--file", str(elsewhere)).exit_code == 0
    cut_tail(made)
    assert run("verify").exit_code == 0  # no witness beside the ledger: the chain alone checks
    result = run("verify", "--witness", str(elsewhere))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {elsewhere}:1: the witnessed head at entry #9 is past the end of the ledger "
        f"(#8): entries were cut from the end {RESTORE}")


def test_expect_head_catches_a_cut_tail_and_passes_on_the_same_head(run, made):
    _seq, digest = head(run)
    assert run("verify", "--expect-head", digest).exit_code == 0
    cut_tail(made)
    result = run("verify", "--expect-head", digest)
    assert result.exit_code == 1
    now = head(run)[1]
    assert result.stderr.strip() == (
        f"error: the head is {now}, not the expected {digest}: history was rewritten or cut, or "
        "entries were added since (compare with the backup the expected head came from)")


def test_witness_will_not_bless_a_tampered_ledger(run, made):
    assert run("witness").exit_code == 0
    kept = witness_file(made).read_bytes()
    con = duckdb.connect(str(made))
    con.execute("UPDATE forecasts SET probability = 0.99 WHERE seq = 9")
    con.close()
    result = run("witness")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: entry #9 (forecast sample-price-rises): the "
                                    "forecasts table no longer matches the log")
    assert witness_file(made).read_bytes() == kept


def test_a_malformed_witness_line_is_named(run, made):
    witness_file(made).write_text("# kept in git\n9 not-a-hash\n")
    result = run("verify")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {witness_file(made)}:2: not a witness line (expected: entry number, head hash, "
        "UTC time) (fix or remove that line)")
    missing = run("verify", "--witness", str(made.parent / "none.witness"))
    assert missing.stderr.strip() == (f"error: no witness file at {made.parent / 'none.witness'} "
                                      "(make one with `forecast-ledger witness`)")


def test_verify_json_reports_a_witness_mismatch(run, made):
    assert run("witness").exit_code == 0
    cut_tail(made)
    result = run("verify", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["ok"] is False
    assert "entries were cut from the end" in json.loads(result.stdout)["reason"]
