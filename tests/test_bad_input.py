"""Bad input is refused with file:line: field: message, exit 1, no traceback, nothing written.

Every file in ``tests/data/bad/`` (its first line says what is wrong; see its README) is
imported through the real CLI into a ledger already holding ``tests/data/good.yaml``. The exact
first error line is asserted, and the ledger (every table, and a full YAML export) must be the
same afterwards. Odd but valid input (scripts, emoji, right-to-left text, the first and last
dates allowed) is accepted and survives export and re-import exactly.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA, ROOT, run_script, snapshot, write

from ledger.ingest.importer import import_paths
from ledger.storage.store import Ledger

BAD = DATA / "bad"
REL = "tests/data/bad/"  # paths are given relative to the repository, as a user would type them
HINT = '(write 0.8, "80%", "3:1" or "1 in 5")'
TAG = "is not allowed; forecast files hold plain text, numbers, lists and mappings"
NOT_MAPPING = "not a mapping; a forecast file is a mapping with questions: (and source:)"
COLON = "put a value holding ': ' in quotes, or check the indentation"
SLUG = ("is not a valid id (use lowercase letters, digits, '-', '_' or '.', starting with a "
        "letter or digit, at most 100 characters)")

# (path below tests/data/bad/, the exact first line of stderr after the path)
CASES = [
    ("alias-reuse.yaml", ":5: anchors and aliases (& and *) are not allowed; write values out"),
    ("basis-unknown.yaml", ":12: basis: 'guessed' is not one of stated or implied"),
    ("billion-laughs.yaml",
     ":10: anchors and aliases (& and *) are not allowed; write values out"),
    ("binary-bytes.yaml", ":3: byte 0x80 is not UTF-8; save the file as UTF-8"),
    ("conflict-source-changed.yaml",
     ":4: title: the ledger holds 'A sample article with two claims' for source "
     "'sample-outlet-2026', the file says 'A different title'; sources are not edited in "
     "place (give the source a new id)"),
    ("conflict-with-ledger.yaml",
     ":18: probability: the ledger holds 0.7 for alice's forecast made at 2026-01-10, the file "
     "says 0.65; forecasts are never changed (log a new one with a later made_at)"),
    ("control-character.yaml",
     ":4: the character U+0007 is not allowed in YAML (a control character); remove it, or "
     "write it as an escape inside double quotes"),
    ("correction-without-reason.yaml",
     ":15: reason: missing: a resolution that corrects an earlier one needs a reason"),
    ("custom-tag.yaml", f":4: the YAML tag !secret {TAG}"),
    ("date-impossible.yaml",
     ":7: resolve_by: 2027-02-30 is not a real date (check the day and month)"),
    ("date-not-a-date.yaml",
     ":7: resolve_by: 'next year' is not a date (write YYYY-MM-DD, e.g. 2027-05-21)"),
    ("date-out-of-range.yaml",
     ":7: resolve_by: 3000-01-01 is out of range (1900-01-01 to 2999-12-31)"),
    ("deep-nesting.yaml",
     ":2: lists and mappings are nested more than 100 levels deep; a forecast file needs "
     "about 5"),
    ("duplicate-forecast.yaml",
     ":14: made_at: alice already has a forecast made at 2026-01-02 on this question (line 9)"),
    ("duplicate-keys.yaml",
     ":12: key 'probability' appears twice in one mapping (first on line 10)"),
    ("duplicate-question-ids.yaml",
     f":12: id: question id 'bad-example' is already used at {REL}duplicate-question-ids.yaml:3"),
    ("empty.yaml", ": the file is empty (write a questions: list)"),
    ("forecast-after-resolution.yaml",
     ":11: made_at: 2026-08-02 is after the question resolved on 2026-08-01; a forecast made "
     "once the outcome was known cannot be logged"),
    ("id-not-a-slug.yaml", f":3: id: 'Bad Example' {SLUG}"),
    ("implied-without-phrase.yaml",
     ":9: implied_from: missing: a forecast with basis: implied needs the phrase it was "
     "implied from"),
    ("long-criteria.yaml", ":5: criteria: is 6000 characters long; at most 5000 are allowed"),
    ("long-forecaster.yaml", ":9: forecaster: is 101 characters long; at most 100 are allowed"),
    ("long-id.yaml", f":3: id: '{'a' * 150}' {SLUG}"),
    ("long-question.yaml", ":4: question: is 1205 characters long; at most 1000 are allowed"),
    ("made-at-in-future.yaml",
     ":11: made_at: 2999-01-01 is in the future (log a forecast once it is made)"),
    ("made-at-bad-time.yaml",
     ":11: made_at: '2026-01-02T25:00:00+00:00' is not a date or time (write 2027-05-21 or "
     "2027-05-21T18:30:00-07:00)"),
    ("malformed-bad-indent.yaml",
     f":6: not valid YAML: mapping values are not allowed in this context; {COLON}"),
    ("malformed-colon-in-value.yaml",
     f":4: not valid YAML: mapping values are not allowed in this context; {COLON}"),
    ("malformed-unclosed-flow.yaml",
     ":9: not valid YAML: did not find expected ',' or ']'; is the [ opened on line 8 missing "
     "its ] or a comma?"),
    ("malformed-unclosed-quote.yaml",
     ":4: a quoted value that starts here is never closed (add the closing quote)"),
    ("merge-key.yaml", ":4: merge keys (<<) are not allowed"),
    ("missing-criteria.yaml", ":3: criteria: missing (this field is required)"),
    ("missing-source.yaml",
     ":8: source: no source 'no-such-source' in the ledger or in the files imported (define "
     "it under source: in a file, and import that file too)"),
    ("non-text-key.yaml", ":3: a key must be a name such as id or probability, not a list"),
    ("not-utf8-latin1.yaml", ":4: byte 0xe9 is not UTF-8; save the file as UTF-8"),
    ("nul-in-text.yaml", ":4: the file holds a NUL character; is it a binary file?"),
    ("number-key.yaml",
     ":12: a key must be a name such as id or probability, not '2026' (quote it if it is "
     "meant as text)"),
    ("only-comments.yaml", ": the file is empty (write a questions: list)"),
    ("opened-missing.yaml",
     ":3: opened: missing: when was the question opened? (e.g. opened: 2026-05-21; it "
     "defaults to the source's published date when there is one)"),
    ("outcome-capitalised.yaml",
     ":13: outcome: 'Yes' is not one of yes, no, ambiguous or annulled"),
    ("prob-110-percent.yaml", f":10: probability: 110% is not between 0 and 1 {HINT}"),
    ("prob-infinite.yaml", f":10: probability: inf is not a probability {HINT}"),
    ("prob-negative.yaml", f":10: probability: -0.1 is not between 0 and 1 {HINT}"),
    ("prob-odds-zero.yaml",
     f":10: probability: 0:0 is not a probability: odds 0:0 mean nothing {HINT}"),
    ("prob-over-one.yaml", f":10: probability: 1.2 is not between 0 and 1 {HINT}"),
    ("prob-words.yaml", f":10: probability: 'likely' is not a probability {HINT}"),
    ("python-name-tag.yaml", f":2: the YAML tag !!python/name:os.system {TAG}"),
    ("python-object-apply.yaml", f":3: the YAML tag !!python/object/apply:os.system {TAG}"),
    ("questions-is-mapping.yaml", ":3: questions: should be a list, not a mapping"),
    ("quote-too-long.yaml",
     ":8: quote: the quote is 45 words; keep it to at most 40 (quote the passage briefly, "
     "link the rest)"),
    ("recorded-before-made.yaml",
     ":12: recorded_at: 2026-01-01 00:00:00 is before the forecast was made "
     "(2026-01-02 00:00:00)"),
    ("resolution-and-resolutions.yaml",
     ":16: resolutions: use either resolution: (one) or resolutions: (a history), not both"),
    ("resolution-without-date.yaml", ":13: resolved_on: missing (this field is required)"),
    ("resolve-by-before-opened.yaml",
     ":7: resolve_by: 2026-05-01 is before the question was opened (2026-06-01)"),
    ("second-document-bad.yaml",
     ':17: probability: 2 is not between 0 and 1 (did you mean "2%"?)'),
    ("tab-indent.yaml", ":9: a tab is used for indentation; indent with spaces"),
    ("tag-with-space.yaml",
     ":8: tags: 'two words' may not contain spaces, commas or semicolons"),
    ("tag-with-semicolon.yaml",
     ":8: tags: 'a;b' may not contain spaces, commas or semicolons"),
    ("too-many-tags.yaml", ":8: tags: has 21 items; at most 20 are allowed"),
    ("top-level-list.yaml", f":2: the document is a list, {NOT_MAPPING}"),
    ("top-level-scalar.yaml", f":2: the document is text, {NOT_MAPPING}"),
    ("unknown-key.yaml", ":12: probabilty: unknown key; did you mean 'probability'?"),
    ("unknown-outcome.yaml",
     ":13: outcome: 'maybe' is not one of yes, no, ambiguous or annulled"),
    ("unknown-top-level-key.yaml", ":2: sources: unknown key; did you mean 'source'?"),
    ("url-not-web-address.yaml",
     ":5: url: 'example.org/article' is not a web address (start it with https://)"),
    ("url-with-spaces.yaml",
     ":15: evidence: 'https://example.org/a page' is not a web address: it holds spaces "
     "(write them as %20)"),
    ("utf16.yaml", ":1: the file is UTF-16; save it as UTF-8"),
    ("utf8-bom.yaml",
     ":1: the file starts with a byte-order mark (BOM); save it as UTF-8 without BOM"),
    ("wrong-type-blind-word.yaml", ":8: blind: should be true or false, not 'maybe'"),
    ("wrong-type-forecasts-mapping.yaml", ":9: forecasts: should be a list, not a mapping"),
    ("wrong-type-probability-bool.yaml", f":10: probability: True is not a probability {HINT}"),
    ("wrong-type-question-list.yaml",
     ":4: question: should be text, not a list (put it in quotes)"),
]
# imported as a folder: the error is located in the second file and names the first
FOLDER_CASES = [
    ("dup-across",
     "/b.yaml:3: id: question id 'bad-twice' is already used at "
     f"{REL}dup-across/a.yaml:3"),
]
# files whose first line cannot be an ASCII '# BAD:' comment (see tests/data/bad/README.md)
NO_COMMENT = {"empty.yaml", "utf16.yaml", "utf8-bom.yaml"}


@pytest.fixture(scope="module")
def preloaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger holding good.yaml, built once and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "good.duckdb"
    import_paths(Ledger(path), [DATA / "good.yaml"])
    return path


@pytest.fixture
def loaded(preloaded: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(preloaded, db)
    monkeypatch.chdir(ROOT)
    return db


def _state(run, db: Path) -> tuple[str, str]:
    exported = run("export", "--format", "yaml")
    assert exported.exit_code == 0, exported.stderr
    return snapshot(db), exported.stdout


def assert_refused(run, db: Path, target: str, first_line: str) -> None:
    before = _state(run, db)
    result = run("import", target)
    lines = result.stderr.splitlines()
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert lines[0] == first_line
    assert lines[-1].startswith("error: ") and lines[-1].endswith("found; nothing was written")
    assert _state(run, db) == before


@pytest.mark.parametrize(("name", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_is_refused(run, loaded, name, message):
    assert_refused(run, loaded, REL + name, REL + name + message)


@pytest.mark.parametrize(("name", "message"), FOLDER_CASES, ids=[c[0] for c in FOLDER_CASES])
def test_bad_folder_is_refused(run, loaded, name, message):
    assert_refused(run, loaded, REL + name, REL + name + message)


def test_corpus_is_covered_and_commented():
    on_disk = {str(p.relative_to(BAD)) for p in BAD.rglob("*.yaml")}
    covered = {n for n, _ in CASES} | {f"{folder}/{f.name}" for folder, _ in FOLDER_CASES
                                         for f in (BAD / folder).glob("*.yaml")}
    assert on_disk == covered
    assert len(on_disk) >= 40
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    for name in sorted(on_disk):
        assert f"| `{name}` |" in readme, name
        if name not in NO_COMMENT:
            assert (BAD / name).read_bytes().startswith(b"# BAD: "), name


def test_fifty_megabyte_file_is_refused_unread(run, loaded, tmp_path):
    big = tmp_path / "big.yaml"
    chunk = ("  - id: big-{n}\n    question: Will the big file be refused?\n"
             "    criteria: Yes if it is.\n    opened: 2026-01-01\n    resolve_by: 2027-01-01\n")
    with big.open("w", encoding="utf-8") as fh:
        fh.write("# BAD: 50 MB\nquestions:\n")
        n = 0
        while fh.tell() < 50_000_000 - 200:
            fh.write(chunk.format(n=n))
            n += 1
        fh.write("#" * (50_000_000 - fh.tell() - 1) + "\n")
    assert big.stat().st_size == 50_000_000
    assert_refused(run, loaded, str(big),
                   f"{big}: the file is 50.0 MB; one YAML file may hold at most 20 MB (split "
                   "it, or import CSV or Parquet)")


def test_very_long_strings_are_refused(run, loaded, tmp_path):
    huge = write(tmp_path / "huge.yaml", (
        "questions:\n  - id: huge-text\n    question: Will a 3 MB question be refused?\n"
        f"    criteria: {'y' * 3_000_000}\n    opened: 2026-01-01\n    resolve_by: 2027-01-01\n"
        f"    forecasts:\n      - forecaster: {'z' * 100_000}\n        probability: 0.5\n"
        "        made_at: 2026-01-02\n"))
    before = _state(run, loaded)
    result = run("import", str(huge))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{huge}:4: criteria: is 3000000 characters long; at most 5000 are allowed",
        f"{huge}:8: forecaster: is 100000 characters long; at most 100 are allowed",
        "error: 2 problems found; nothing was written",
    ]
    assert _state(run, loaded) == before


@pytest.mark.parametrize("name", ["tab-indent.yaml", "not-utf8-latin1.yaml",
                                  "python-object-apply.yaml", "billion-laughs.yaml",
                                  "deep-nesting.yaml", "non-text-key.yaml", "empty.yaml"])
def test_console_script_refuses_without_traceback(loaded, name):
    before = snapshot(loaded)
    result = run_script("--db", str(loaded), "import", REL + name, cwd=ROOT)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[0] == REL + name + dict(CASES)[name]
    assert "Traceback" not in result.stderr
    assert snapshot(loaded) == before


def test_deep_nesting_beyond_libyaml_stack_is_refused_not_a_crash(run, loaded, tmp_path):
    """libyaml's composer recurses in C: 100,000 levels crashed the process (SIGSEGV)."""
    deep = write(tmp_path / "deep.yaml", "questions: " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = run_script("--db", str(loaded), "import", str(deep))
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stderr.splitlines()[0] == (
        f"{deep}:1: lists and mappings are nested more than 100 levels deep; a forecast file "
        "needs about 5")


def test_every_problem_of_every_file_is_reported_at_once(run, loaded):
    before = _state(run, loaded)
    names = ["prob-over-one.yaml", "unknown-key.yaml", "date-impossible.yaml"]
    result = run("import", *(REL + n for n in names))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        REL + n + dict(CASES)[n] for n in names] + ["error: 3 problems found; nothing was written"]
    assert _state(run, loaded) == before


def test_good_file_among_bad_ones_is_not_written(run, loaded, tmp_path):
    good = write(tmp_path / "new.yaml", (
        "questions:\n  - id: fresh-question\n    question: Will this fresh one wait?\n"
        "    criteria: Yes.\n    opened: 2026-01-01\n    resolve_by: 2027-01-01\n"))
    before = _state(run, loaded)
    result = run("import", str(good), REL + "prob-over-one.yaml")
    assert result.exit_code == 1
    assert _state(run, loaded) == before


ODD = """\
# odd but valid: scripts, emoji, right-to-left text, the first and last dates allowed
source:
  id: odd-source-1900
  title: "Ωμέγα — 東京 — مرحبا — 🦊 — \\"quoted\\" — back\\\\slash"
  publisher: "Zoë Ünïcode‐Press"
  author: "אבי כהן"
  url: https://example.org/odd?q=ü&r=1
  published: 1900-01-01
questions:
  - id: odd-emoji-question
    question: "Will 👩‍🔬 and 🇯🇵 and e\\u0301 survive? (נעם ‏RTL mark) 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"
    criteria: |-
      نعم إذا تساقط الثلج في ٢٠٢٧
      Second line with trailing symbols: ¿¡ «» „“ ‹›
    resolve_by: 2999-12-31
    tags: [天気, émoji-🌨, עברית]
    quote: "‏“رأي” — quoted"
    reference: {probability: 0.125, note: "½ of ¼"}
    forecasts:
      - forecaster: "Zoë Ωmega 🦊"
        probability: 0.1%
        made_at: 1900-01-01
        rationale: "Mixed: English, العربية, 中文, हिन्दी, 😀"
      - forecaster: "محمد"
        probability: "1 in 3"
        made_at: 1900-01-01T23:59:59+14:00
  - id: odd-old-resolved
    question: Did the oldest question resolve?
    criteria: Yes if it did.
    resolve_by: 1900-12-31
    forecasts:
      - forecaster: "ℌ𝔢𝔩𝔩𝔬"
        probability: 1
        made_at: 1900-01-01T00:00:00-12:00
    resolution:
      outcome: yes
      resolved_on: 1900-06-01
      note: "✓ done — ✔️"
"""


def test_odd_but_valid_input_round_trips_exactly(run, db, tmp_path):
    odd = write(tmp_path / "odd.yaml", ODD)
    result = run("import", str(odd))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        "1 file read; added 1 new source, 2 new questions, 3 new forecasts, 1 new resolution")
    with Ledger(db).connect() as con:
        question, criteria, tags, opened, resolve_by = con.execute(
            "SELECT question, criteria, tags, opened::VARCHAR, resolve_by::VARCHAR "
            "FROM questions WHERE id = 'odd-emoji-question'").fetchall()[0]
        forecasters = [r[0] for r in con.execute(
            "SELECT forecaster FROM forecasts ORDER BY seq").fetchall()]
    assert question == ("Will 👩‍🔬 and 🇯🇵 and e\u0301 survive? (נעם \u200fRTL mark) "
                        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢")
    assert criteria == ("نعم إذا تساقط الثلج في ٢٠٢٧\n"
                        "Second line with trailing symbols: ¿¡ «» „“ ‹›")
    assert tags == ["天気", "émoji-🌨", "עברית"]
    assert (opened, resolve_by) == ("1900-01-01", "2999-12-31")
    assert forecasters == ["Zoë Ωmega 🦊", "محمد", "ℌ𝔢𝔩𝔩𝔬"]
    assert run("verify").exit_code == 0
    listed = run("list")
    shown = run("show", "odd-emoji-question")
    assert listed.exit_code == 0 and shown.exit_code == 0
    assert "Zoë Ωmega 🦊" in shown.stdout

    first = run("export", "--format", "yaml").stdout
    again = tmp_path / "again.duckdb"
    backup = write(tmp_path / "backup.yaml", first)
    reimported = run_script("--db", str(again), "import", str(backup))
    assert reimported.returncode == 0, reimported.stderr
    second = run_script("--db", str(again), "export", "--format", "yaml")
    assert second.stdout == first
    assert run_script("--db", str(again), "list").stdout == listed.stdout
    shown_again = run_script("--db", str(again), "show", "odd-emoji-question", "--json")
    keep = ("question", "criteria", "tags", "opened", "resolve_by", "forecasts")
    assert {k: json.loads(shown_again.stdout)[k] for k in keep} == {
        k: run.json("show", "odd-emoji-question")[k] for k in keep}


def test_lines_are_found_again_from_the_text_of_each_document(run, loaded, tmp_path):
    """A file read without problems keeps its text, not its node tree: the lines a dry run
    shows, and those of a problem found while planning, come from composing it again, each
    document its own."""
    path = write(tmp_path / "two.yaml", (
        "source:\n  id: two-docs-source\n  title: Two documents\n  published: 2026-01-01\n"
        "questions:\n"
        "  - id: first-of-two\n    question: Is this the first?\n    criteria: Yes.\n"
        "    resolve_by: 2027-01-01\n"
        "---\n"
        "# a comment moves the second document's lines\n"
        "questions:\n"
        "  - id: second-of-two\n    question: Is this the second?\n    criteria: Yes.\n"
        "    opened: 2026-01-01\n    resolve_by: 2027-01-01\n"
        "    forecasts:\n      - forecaster: alice\n        probability: 0.5\n"
        "        made_at: 2026-01-02\n"))
    result = run("import", "--dry-run", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:4] == [
        f"{path}:2: would add new source two-docs-source",
        f"{path}:6: would add new question first-of-two",
        f"{path}:13: would add new question second-of-two",
        f"{path}:19: would add new forecast second-of-two",
    ]
    moved = write(tmp_path / "again.yaml", path.read_text().replace(
        "second-of-two", "first-of-two"))
    assert_refused(run, loaded, str(moved), f"{moved}:13: id: question id 'first-of-two' is "
                   f"already used at {moved}:6")
