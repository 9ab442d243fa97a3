"""Security: safe YAML only, user values always bound as SQL parameters, local-only dashboard,
no overwriting or writing through symlinks on export."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run_script, write

from ledger.faces import serve
from ledger.format import yamlfile
from ledger.storage.store import Ledger

DROP = "'; DROP TABLE forecasts; --"
NASTY = [
    DROP,
    'Robert"); DROP TABLE entries;--',
    "back\\slash \\' \\\" \\n and a trailing backslash \\",
    "' OR '1'='1",
    "$1 ? %s {0} :name $$ $tag",
    "/* comment */ -- and ; semicolons;",
    "unicode ‮RLO and emoji 🦊 and ' quotes '",
]


# -- YAML ------------------------------------------------------------------------------------

@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system",
    "!!python/object/apply:subprocess.check_output",
    "!!python/object/new:os.system",
])
def test_python_tags_do_nothing_and_are_refused(run, db, tmp_path, tag):
    marker = tmp_path / "pwned"
    args = f'["touch {marker}"]' if "subprocess" not in tag else f'[["touch", "{marker}"]]'
    bad = write(tmp_path / "evil.yaml", f"questions:\n  - id: {tag} {args}\n")
    result = run("import", str(bad))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{bad}:2: the YAML tag {tag} is not allowed; forecast files hold plain text, numbers, "
        "lists and mappings")
    assert not marker.exists()
    # the console script too (a fresh interpreter, nothing imported before)
    script = run_script("--db", str(db), "import", str(bad))
    assert script.returncode == 1 and "Traceback" not in script.stderr
    assert not marker.exists()
    assert not db.exists()


def test_the_loader_is_a_safe_loader():
    safe = tuple(c for c in (getattr(yaml, "CSafeLoader", None), yaml.SafeLoader) if c)
    assert issubclass(yamlfile._Loader, safe)
    assert not issubclass(yamlfile._Loader, (yaml.FullLoader, yaml.UnsafeLoader, yaml.Loader))
    # and it refuses the python tags itself, whatever calls it
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.load("!!python/object/apply:os.getcwd []", Loader=yamlfile._Loader)  # noqa: S506


UNSAFE = re.compile(r"yaml\.(load|load_all)\(|yaml\.(Loader|FullLoader|UnsafeLoader|CLoader|"
                    r"CFullLoader|CUnsafeLoader)\b|unsafe_load|full_load|Loader=(?!_?Loader\b|"
                    r"yamlfile\._Loader|yaml\.C?SafeLoader|_Base\b)")


def test_no_unsafe_yaml_loading_in_the_sources():
    offenders = []
    for folder in ("ledger", "dashboard"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if UNSAFE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
    assert UNSAFE.search("data = yaml.load(text)")  # the pattern does catch the real thing
    assert UNSAFE.search("yaml.load_all(s, Loader=yaml.FullLoader)")
    assert UNSAFE.search("yaml.unsafe_load(s)")
    assert not UNSAFE.search("yaml.safe_load(s)")


# -- SQL -------------------------------------------------------------------------------------

def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nasty_file() -> str:
    q = _quoted
    return f"""\
source:
  id: nasty-source
  title: {q(NASTY[0])}
  publisher: {q(NASTY[1])}
  author: {q(NASTY[3])}
  url: "https://example.org/a?q=';DROP%20TABLE%20x;--"
  published: 2026-01-01
questions:
  - id: nasty-question
    question: {q("Will " + NASTY[0] + " happen?")}
    criteria: {q(" | ".join(NASTY))}
    resolve_by: 2026-12-31
    tags: ["')DROP-TABLE-forecasts--", "a'b\\"c\\\\d", "$1", "?"]
    quote: {q(NASTY[4])}
    horizon: {q(NASTY[5])}
    reference: {{probability: 0.5, note: {q(NASTY[2])}}}
    forecasts:
      - forecaster: {q(NASTY[0])}
        probability: 0.25
        made_at: 2026-01-02
        rationale: {q(NASTY[6])}
      - forecaster: {q(NASTY[1])}
        probability: "1 in 3"
        made_at: 2026-01-03T10:00:00+02:00
        basis: implied
        implied_from: {q(NASTY[2])}
      - forecaster: "no nul byte (refused: tests/test_bulk_hostile.py)"
        probability: 0.5
        made_at: 2026-01-04
    resolutions:
      - outcome: yes
        resolved_on: 2026-06-01
        evidence: "https://example.org/'--"
        note: {q(NASTY[3])}
        resolved_by: {q(NASTY[1])}
      - outcome: no
        resolved_on: 2026-06-02
        reason: {q(NASTY[0])}
        resolved_by: {q(NASTY[5])}
"""


def _tables(db: Path) -> dict[str, int]:
    with Ledger(db).connect() as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in ("entries", "sources", "questions", "forecasts", "resolutions")}


def test_quotes_and_sql_in_every_text_round_trip_exactly(run, db, tmp_path):
    path = write(tmp_path / "nasty.yaml", _nasty_file())
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = run("import", str(path))
    assert result.exit_code == 0, result.stderr
    assert _tables(db) == {"entries": 7, "sources": 1, "questions": 1, "forecasts": 3,
                           "resolutions": 2}
    with Ledger(db).connect() as con:
        stored = con.execute("SELECT question, criteria, tags, quote, horizon, reference_note "
                             "FROM questions").fetchall()[0]
        names = [r[0] for r in con.execute("SELECT forecaster FROM forecasts ORDER BY seq")
                 .fetchall()]
        source = con.execute("SELECT title, publisher, author, url FROM sources").fetchall()[0]
        reasons = con.execute("SELECT reason, resolved_by, note, evidence FROM resolutions "
                              "ORDER BY seq").fetchall()
    q = loaded["questions"][0]
    assert stored == (q["question"], q["criteria"], q["tags"], q["quote"], q["horizon"],
                      q["reference"]["note"])
    assert names == [NASTY[0], NASTY[1], "no nul byte (refused: tests/test_bulk_hostile.py)"]
    assert source == (NASTY[0], NASTY[1], NASTY[3], "https://example.org/a?q=';DROP%20TABLE%20x;--")
    assert reasons == [(None, NASTY[1], NASTY[3], "https://example.org/'--"),
                       (NASTY[0], NASTY[5], None, None)]
    assert run("verify").exit_code == 0

    # every read path with the nasty values as arguments
    assert run.json("list", "--tag", "')DROP-TABLE-forecasts--")[0]["id"] == "nasty-question"
    assert run.json("list", "--forecaster", NASTY[1])[0]["id"] == "nasty-question"
    assert run.json("list", "--source", "nasty-source")[0]["id"] == "nasty-question"
    for option in ("--tag", "--forecaster", "--source"):
        assert run.json("list", option, "x" + DROP) == []
    missing = run("show", DROP)
    assert missing.exit_code == 1
    assert missing.stderr.strip() == (
        f"error: no question {DROP!r} (see `forecast-ledger list` for ids)")
    shown = run.json("show", "nasty-question")
    assert shown["question"] == q["question"]
    for args in (["score", "--forecaster", DROP], ["score", "--tag", DROP],
                 ["calibration", "--forecaster", DROP]):
        assert run(*args).exit_code in (0, 1)
    assert _tables(db)["forecasts"] == 3

    # export, import into an empty ledger, export again: the same text
    first = run("export", "--format", "yaml").stdout
    backup = write(tmp_path / "backup.yaml", first)
    restored = tmp_path / "restored.duckdb"
    assert run_script("--db", str(restored), "import", str(backup)).returncode == 0
    assert run_script("--db", str(restored), "export").stdout == first
    assert run_script("--db", str(restored), "verify").returncode == 0


def test_quotes_and_sql_through_the_command_line(run, db):
    added = run("add", f"Will {DROP} be stored as text?", "--by", "2030-01-01", "--criteria",
                NASTY[1], "--tag", "x'--", "--p", "0.3", "--note", NASTY[2], forecaster=NASTY[0])
    assert added.exit_code == 0, added.stderr
    qid = added.stdout.split()[1]
    assert re.fullmatch(r"[a-z0-9-]+", qid)
    assert run("forecast", qid, "--p", "0.4", "--note", NASTY[3],
               forecaster=NASTY[1]).exit_code == 0
    resolved = run("resolve", qid, "no", "--note", NASTY[4], "--evidence",
                   "https://example.org/';DROP%20TABLE%20x;--", forecaster=NASTY[5])
    assert resolved.exit_code == 0, resolved.stderr
    for bad_id in (DROP, "x'; DROP TABLE questions; --"):
        refused = run("add", "Will the id be refused?", "--by", "2030-01-01", "--id", bad_id)
        assert refused.exit_code == 1
        assert refused.stderr.startswith(f"error: id: {bad_id!r} is not a valid id")
        forecast = run("forecast", bad_id, "--p", "0.5")
        assert forecast.exit_code == 1
        assert forecast.stderr.strip() == (
            f"error: no question {bad_id!r} (see `forecast-ledger list` for ids)")
    shown = run.json("show", qid)
    assert shown["question"] == f"Will {DROP} be stored as text?"
    assert shown["criteria"] == NASTY[1] and shown["tags"] == ["x'--"]
    assert [(f["forecaster"], f["rationale"]) for f in shown["forecast_history"]] == [
        (NASTY[0], NASTY[2]), (NASTY[1], NASTY[3])]
    assert shown["resolution_history"][0]["note"] == NASTY[4]
    assert shown["resolution_history"][0]["resolved_by"] == NASTY[5]
    assert _tables(db) == {"entries": 4, "sources": 0, "questions": 1, "forecasts": 2,
                           "resolutions": 1}
    assert run("verify").exit_code == 0


@pytest.mark.parametrize("fmt", ["csv", "parquet", "yaml"])
def test_export_to_a_path_full_of_quotes(run, tmp_path, fmt):
    """COPY cannot take its target as a parameter: the path is quoted, not interpolated."""
    from conftest import DATA

    run("import", str(DATA / "good.yaml"))
    out = tmp_path / f"it's'; DROP TABLE forecasts; --.{fmt}"
    result = run("export", "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.is_file() and out.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["ledger.duckdb", out.name])
    assert _tables(run.db)["forecasts"] == 4


def test_ledger_path_full_of_quotes(tmp_path):
    from conftest import DATA

    db = tmp_path / "o'brien\"; DROP TABLE x; --.duckdb"
    assert run_script("--db", str(db), "import", str(DATA / "good.yaml")).returncode == 0
    assert run_script("--db", str(db), "verify").returncode == 0


# -- the dashboard stays on this machine -----------------------------------------------------

def test_dashboard_binds_localhost_by_default(run, monkeypatch):
    for fn in (serve.dashboard_command, serve.run_dashboard):
        assert inspect.signature(fn).parameters["address"].default == "127.0.0.1"
    args = serve.dashboard_command("ledger.duckdb")
    assert args[args.index("--server.address") + 1] == "127.0.0.1"
    assert "0.0.0.0" not in args

    help_text = run("dashboard", "--help").stdout
    assert re.search(r"--address TEXT .*\[default:\s+127\.0\.0\.1\]", help_text, re.DOTALL)

    calls = []
    monkeypatch.setattr(serve, "run_dashboard", lambda db, **kw: calls.append((db, kw)) or 0)
    result = run("dashboard", "--headless")
    assert result.exit_code == 0
    assert calls == [(str(run.db), {"port": 8501, "address": "127.0.0.1", "headless": True,
                                    "forecaster": "tester"})]  # --as pre-fills "You are"
    assert "http://127.0.0.1:8501" in result.stderr


# -- export never overwrites, and never writes through a symlink -----------------------------

def test_export_refuses_a_symlink_to_an_existing_file_and_force_replaces_only_the_link(
        run, tmp_path):
    from conftest import DATA

    run("import", str(DATA / "good.yaml"))
    precious = write(tmp_path / "precious.txt", "keep me")
    link = tmp_path / "backup.yaml"
    link.symlink_to(precious)
    refused = run("export", "--out", str(link))
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        f"error: {link} exists (add --force to overwrite it, or choose another --out)")
    assert precious.read_text() == "keep me"
    forced = run("export", "--out", str(link), "--force")
    assert forced.exit_code == 0
    assert precious.read_text() == "keep me"  # the link was replaced, not its target
    assert not link.is_symlink() and link.read_text().startswith("# forecast-ledger export")


def test_export_does_not_follow_a_dangling_symlink(run, tmp_path):
    from conftest import DATA

    run("import", str(DATA / "good.yaml"))
    elsewhere = tmp_path / "elsewhere" / "created.txt"
    elsewhere.parent.mkdir()
    link = tmp_path / "out.yaml"
    link.symlink_to(elsewhere)
    result = run("export", "--out", str(link))
    assert result.exit_code == 0, result.stderr
    assert not elsewhere.exists()
    assert not link.is_symlink() and link.read_text().startswith("# forecast-ledger export")
