"""`forecast-ledger draft` through its real entry point, on real files, into real ledgers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, write

SEED = ROOT.parent / "shared" / "seed" / "article.txt"
ARTICLE = """title: Goldman economists warn of recession risk
url: https://example.org/goldman
published: 2022-06-21
author/outlet: Example Reporter, Example News

Economists estimate the probability of the economy entering a recession over the next year at 30%.

They now expect growth of 1.75% in the third quarter of 2022.

Stores could run short of staples in the near term.

Last week the Fed raised rates by 75 basis points.
"""


def cli(*args: str, stdin: str | None = None, cwd: Path | None = None
        ) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "ledger", *args], capture_output=True,
                          text=True, input=stdin, env=env, cwd=cwd or ROOT, timeout=120)


def test_draft_writes_a_file_that_imports(tmp_path):
    article = write(tmp_path / "goldman.txt", ARTICLE)
    out = tmp_path / "drafts" / "goldman.yaml"
    done = cli("draft", str(article), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"drafted 3 questions from goldman.txt into {out}; review it, then: "
                           f"forecast-ledger import {out}\n")
    data = yaml.safe_load(out.read_text())
    assert data["source"]["published"].isoformat() == "2022-06-21"
    assert data["source"]["publisher"] == "Example News"
    quotes = [q["quote"] for q in data["questions"]]
    assert all(q in ARTICLE for q in quotes)
    assert not any("75 basis points" in q for q in quotes)  # a past fact
    db = tmp_path / "l.duckdb"
    dry = cli("--db", str(db), "import", "--dry-run", str(out))
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip().endswith("would add 1 new source, 3 new questions, 1 new forecast")
    done = cli("--db", str(db), "import", str(out))
    assert done.returncode == 0, done.stderr
    listed = json.loads(cli("--db", str(db), "list", "--json").stdout)
    by_date = {q["resolve_by"]: q for q in listed}
    assert set(by_date) == {"2023-06-21", "2022-09-30", "2022-12-21"}
    recession = by_date["2023-06-21"]
    assert [(f["forecaster"], f["probability"]) for f in recession["forecasts"]] == [
        ("Example News", 0.3)]


def test_an_implied_forecast_is_commented_out_and_imports_once_uncommented(tmp_path):
    article = write(tmp_path / "a.txt", "The lab will release a new model next quarter.\n")
    out = tmp_path / "a.yaml"
    assert cli("draft", str(article), "--published", "2026-05-21", "--out",
               str(out)).returncode == 0
    text = out.read_text()
    assert "    # forecasts:   # implied by a firm claim; uncomment to keep" in text
    assert "    #     basis: implied" in text
    db = tmp_path / "l.duckdb"
    uncommented = "\n".join(line.replace("    # ", "    ", 1) if line.startswith("    # ")
                            else line for line in text.splitlines())
    edited = write(tmp_path / "reviewed.yaml", uncommented)
    done = cli("--db", str(db), "import", str(edited))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("added 1 new source, 1 new question, 1 new forecast")
    (q,) = json.loads(cli("--db", str(db), "list", "--json").stdout)
    assert q["resolve_by"] == "2026-09-30"
    assert q["forecasts"][0]["probability"] == 0.8


def test_draft_reads_standard_input_and_prints_json():
    done = cli("draft", "-", "--json", stdin=ARTICLE)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["published"] == "2022-06-21" and got["published_from"] == "the header"
    kinds = [(c["kind"], c["direction"], c["resolve_by"]) for c in got["claims"]]
    assert kinds == [("stated", "no", "2023-06-21"), ("firm", "yes", "2022-09-30"),
                     ("hedged", "unclear", "2022-12-21")]
    assert got["claims"][0]["probability_text"] == "30%"
    for claim in got["claims"]:
        assert ARTICLE[claim["start"]:claim["end"]] == claim["quote"]
        assert claim["resolve_by"] in claim["question"]


def test_draft_prints_the_yaml_when_no_out_file_is_given(tmp_path):
    done = cli("draft", "-", "--published", "2026-05-21", "--source-id", "my-source",
               stdin="Prices will fall by 2030. Oil prices are high.\n")
    assert done.returncode == 0, done.stderr
    data = yaml.safe_load(done.stdout)
    assert data["source"]["id"] == "my-source"
    (q,) = data["questions"]
    assert (q["resolve_by"].isoformat(), q["horizon"], q["quote"]) == (
        "2030-12-31", "by 2030", "Prices will fall by 2030.")
    assert q["question"] == "Will prices fall by 2030-12-31?"
    assert "# confidence 0.85: a firm forecast ('will')." in done.stdout


def test_missing_article_is_one_line_error():
    done = cli("draft", "no-such-article.txt")
    assert done.returncode == 1
    assert done.stderr == "error: no such file: no-such-article.txt\n"
    assert done.stdout == ""


@pytest.mark.parametrize(("value", "message"), [
    ("2026-13-01", "error: --published: 2026-13-01 is not a real date (check the day and "
                   "month)\n"),
    ("yesterday", "error: --published: 'yesterday' is not a date (write YYYY-MM-DD, e.g. "
                  "2027-05-21)\n"),
])
def test_bad_published_date_is_one_line_error(tmp_path, value, message):
    article = write(tmp_path / "a.txt", "Prices will fall by 2030.\n")
    done = cli("draft", str(article), "--published", value)
    assert done.returncode == 1
    assert done.stderr == message


def test_bad_source_id_is_one_line_error(tmp_path):
    article = write(tmp_path / "a.txt", "Prices will fall by 2030.\n")
    done = cli("draft", str(article), "--source-id", "Not A Slug")
    assert done.returncode == 1
    assert done.stderr.startswith("error: --source-id: 'Not A Slug' is not a valid id")
    assert done.stderr.count("\n") == 1


def test_an_existing_out_file_is_never_overwritten(tmp_path):
    article = write(tmp_path / "a.txt", "Prices will fall by 2030.\n")
    out = write(tmp_path / "reviewed.yaml", "# my review\n")
    done = cli("draft", str(article), "--out", str(out))
    assert done.returncode == 1
    assert done.stderr == (f"error: {out} already exists; choose another file name or "
                           "remove it\n")
    assert out.read_text() == "# my review\n"


def test_an_empty_article_is_one_line_error(tmp_path):
    article = write(tmp_path / "empty.txt", "\n\n")
    done = cli("draft", str(article))
    assert done.returncode == 1
    assert done.stderr == "error: empty.txt is empty: there is nothing to draft from\n"


@pytest.mark.skipif(not SEED.exists(), reason="../shared/seed/article.txt is not here")
def test_seed_article_drafts_an_importable_file_with_todays_dates(tmp_path):
    out = tmp_path / "seed.yaml"
    done = cli("draft", str(SEED), "--published", "2026-05-21", "--out", str(out))
    assert done.returncode == 0, done.stderr
    data = yaml.safe_load(out.read_text())
    assert {q["resolve_by"].isoformat() for q in data["questions"]} == {"2027-05-21",
                                                                        "2028-05-21"}
    text = SEED.read_text(encoding="utf-8")
    assert all(q["quote"] in text for q in data["questions"])
    dry = cli("--db", str(tmp_path / "l.duckdb"), "import", "--dry-run", str(out))
    assert dry.returncode == 0, dry.stderr


PROBE = """
import json, sys
from ledger.faces.cli import cli
try:
    cli(sys.argv[1:], prog_name="forecast-ledger")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in ("pandas", "streamlit", "altair", "pyarrow", "duckdb")
                        if m in sys.modules)), file=sys.stderr)
"""


def test_draft_imports_nothing_heavy(tmp_path):
    article = write(tmp_path / "a.txt", "Prices will fall by 2030.\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, "draft", str(article)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
