"""Fuzzing the importer: generated and mutated documents are imported or refused cleanly.

Documents start valid (a source, questions, forecasts, resolutions) and are then mutated: values
replaced by other types or odd strings, keys renamed, dropped or added, lines re-indented,
tabbed, duplicated, swapped or deleted, bytes flipped, inserted or cut. Whatever comes out, the
library either imports it or raises ``LedgerError`` (the CLI: exit 0, or exit 1 with no
traceback), and a refusal writes nothing. An accepted file re-imports as "nothing changed" and
the ledger verifies.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import DATA, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import LedgerError
from ledger.faces.cli import cli
from ledger.ingest.importer import import_paths
from ledger.storage.store import Ledger

LIBRARY_EXAMPLES = 300
CLI_EXAMPLES = 100

FUZZ = settings(deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

ODD_STRINGS = [
    "", " ", "110%", "-5%", "0:0", "1 in 0", "3:1", "1 in 20", "0.1%", "1e-3", "yes", "no",
    "true", "~", "null", "NaN", ".inf", "2027-02-30", "1899-12-31", "3000-01-01", "2026-13-01",
    "2026-01-02T25:00:00", "2026-01-02T10:00:00+25:00", "2026-01-02T10:00:00Z",
    "'; DROP TABLE forecasts; --", 'a "quoted" \\ back\\slash', "!!python/object/apply:os.system",
    "*alias", "&anchor x", "<<", "- item", "key: value", "# comment", "\t", "\u202eevil",
    "emoji 🦊👩‍🔬", "עברית", "x" * 1200, "word " * 50, "https://example.org/x", "not a url",
    "Bad Id", "UPPER", "sample-ships", "sample-outlet-2026",
]
KEYS = ["id", "question", "criteria", "resolve_by", "opened", "tags", "source", "quote",
        "forecasts", "forecaster", "probability", "made_at", "recorded_at", "basis",
        "implied_from", "resolution", "resolutions", "outcome", "resolved_on", "reason",
        "evidence", "blind", "reference", "questions", "published", "title", "url"]

leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.sampled_from(ODD_STRINGS),
    st.dates(min_value=date(1800, 1, 1), max_value=date(3100, 1, 1)).map(str),
)
value = st.one_of(leaf, st.lists(leaf, max_size=3),
                  st.dictionaries(st.sampled_from(KEYS), leaf, max_size=2))
slug = st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True)
text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=5, max_size=40).filter(
    lambda s: len(s.strip()) >= 5)
day = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
probability = st.one_of(
    st.floats(0, 1), st.integers(0, 100).map(lambda n: f"{n}%"),
    st.tuples(st.integers(0, 9), st.integers(1, 9)).map(lambda t: f"{t[0]}:{t[1]}"),
    st.integers(1, 50).map(lambda n: f"1 in {n}"))


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid forecast file (most of the time: the rules across fields are not all kept)."""
    doc: dict[str, Any] = {}
    if draw(st.booleans()):
        doc["source"] = {"id": draw(slug), "title": draw(text), "published": str(draw(day))}
        if draw(st.booleans()):
            doc["source"]["url"] = "https://example.org/" + draw(slug)
    questions = []
    for qid in draw(st.lists(slug, min_size=1, max_size=3, unique=True)):
        opened = draw(day)
        resolve_by = opened + timedelta(days=draw(st.integers(0, 800)))
        q: dict[str, Any] = {"id": qid, "question": draw(text), "criteria": draw(text),
                             "opened": str(opened), "resolve_by": str(resolve_by)}
        if draw(st.booleans()):
            q["tags"] = draw(st.lists(slug, max_size=3, unique=True))
        forecasts = []
        for who in draw(st.lists(st.sampled_from(["alice", "bob", "Zoë 🦊"]), max_size=3,
                                 unique=True)):
            made = opened + timedelta(days=draw(st.integers(0, (resolve_by - opened).days)))
            made_at: Any = str(made)
            if draw(st.booleans()):
                made_at = f"{made}T{draw(st.integers(0, 23)):02d}:30:00" \
                          f"{draw(st.sampled_from(['+00:00', '-07:00', '+14:00', 'Z']))}"
            f = {"forecaster": who, "probability": draw(probability), "made_at": made_at}
            if draw(st.booleans()):
                f["rationale"] = draw(text)
            forecasts.append(f)
        q["forecasts"] = forecasts
        if draw(st.booleans()):
            q["resolution"] = {"outcome": draw(st.sampled_from(["yes", "no", "ambiguous",
                                                                 "annulled"])),
                               "resolved_on": str(resolve_by + timedelta(days=1))}
        questions.append(q)
    doc["questions"] = questions
    return doc


def _paths(node: Any, at: tuple = ()) -> list[tuple]:
    out = [at] if at else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*at, i))
    return out


def _mutate_tree(draw: st.DrawFn, doc: dict) -> None:
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(doc)
        if not paths:
            return
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        op = draw(st.sampled_from(["replace", "delete", "rename", "add", "wrap", "duplicate"]))
        if op == "replace":
            parent[last] = draw(value)
        elif op == "delete":
            del parent[last]
        elif op == "rename" and isinstance(parent, dict):
            new = draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=8),
                                 st.just(str(last)[:-1] or "x"), st.just(f"{last}s")))
            parent[new] = parent.pop(last)
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from([*KEYS, "probabilty", "extra", "Source"]))] = draw(value)
        elif op == "wrap":
            parent[last] = draw(st.sampled_from([[parent[last]], {"value": parent[last]}]))
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(last, parent[last])


def _mutate_text(draw: st.DrawFn, data: bytes) -> bytes:
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["indent", "dedent", "tab", "delete", "duplicate", "swap",
                                   "insert", "flip", "cut", "bytes"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        if op == "indent":
            lines[i] = b" " * draw(st.integers(1, 4)) + lines[i]
        elif op == "dedent":
            lines[i] = lines[i][draw(st.integers(1, 4)):]
        elif op == "tab":
            lines[i] = b"\t" + lines[i].lstrip(b" ")
        elif op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif op == "insert":
            snippet = draw(st.sampled_from([": ", "- ", "[", "]", "{", "'", '"', "&a ", "*a",
                                            "!!python/name:os.system ", "#", "? ", "|", ">"]))
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + snippet.encode() + lines[i][at:]
        elif op == "flip" and lines[i]:
            at = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:at] + bytes([draw(st.integers(0, 255))]) + lines[i][at + 1:]
        elif op == "cut":
            joined = b"\n".join(lines)
            lines = joined[:draw(st.integers(0, len(joined)))].split(b"\n")
        elif op == "bytes":
            lines[i] += draw(st.binary(min_size=1, max_size=8))
    return b"\n".join(lines)


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    doc = draw(documents())
    _mutate_tree(draw, doc)
    dumped = yaml.safe_dump(doc, allow_unicode=True, sort_keys=draw(st.booleans()),
                            default_flow_style=draw(st.sampled_from([False, None, True])))
    return _mutate_text(draw, dumped.encode("utf-8"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A ledger holding good.yaml. In memory (/dev/shm) where there is one: hundreds of
    commits here test parsing and validation, not the disk's fsync."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        with tempfile.TemporaryDirectory(dir=shm, prefix="ledger-fuzz-") as tmp:
            path = Path(tmp) / "template.duckdb"
            import_paths(Ledger(path), [DATA / "good.yaml"])
            yield path
        return
    path = tmp_path_factory.mktemp("fuzz") / "template.duckdb"
    import_paths(Ledger(path), [DATA / "good.yaml"])
    yield path


def _unchanged(db: Path, template: Path, template_bytes: bytes, before: str) -> bool:
    # byte-identical is the cheap proof; DuckDB may rewrite its header on a clean close, so
    # otherwise every table is compared
    return db.read_bytes() == template_bytes or snapshot(db) == before


def test_fuzzed_files_are_imported_or_refused_cleanly_by_the_library(template):
    work = template.parent / "lib"
    work.mkdir(exist_ok=True)
    db, path = work / "ledger.duckdb", work / "fuzz.yaml"
    template_bytes, before = template.read_bytes(), snapshot(template)
    seen: Counter[str] = Counter()

    @settings(FUZZ, max_examples=LIBRARY_EXAMPLES)
    @given(mutated_files())
    def check(data: bytes) -> None:
        db.write_bytes(template_bytes)
        path.write_bytes(data)
        ledger = Ledger(db)
        try:
            result = import_paths(ledger, [path])
        except LedgerError as exc:
            seen["refused"] += 1
            assert str(exc).strip(), "a refusal must say why"
            assert _unchanged(db, template, template_bytes, before)
            return
        seen["imported"] += 1
        seen["imported with changes"] += bool(result.changes)
        ledger.verify()
        after = db.read_bytes()
        again = import_paths(ledger, [path])  # what was accepted re-imports as no change
        assert again.changes == []
        assert db.read_bytes() == after

    check()
    print(f"\nlibrary fuzz: {seen['refused'] + seen['imported']} examples, {dict(seen)}")
    assert seen["refused"] + seen["imported"] == LIBRARY_EXAMPLES
    assert seen["refused"] > 0 and seen["imported with changes"] > 0


def test_fuzzed_files_are_imported_or_refused_cleanly_by_the_cli(template):
    work = template.parent / "cli"
    work.mkdir(exist_ok=True)
    db, path = work / "ledger.duckdb", work / "fuzz.yaml"
    template_bytes, before = template.read_bytes(), snapshot(template)
    seen: Counter[int] = Counter()

    @settings(FUZZ, max_examples=CLI_EXAMPLES)
    @given(mutated_files())
    def check(data: bytes) -> None:
        db.write_bytes(template_bytes)
        path.write_bytes(data)
        result = CliRunner().invoke(cli, ["--db", str(db), "import", str(path)],
                                    catch_exceptions=False)
        seen[result.exit_code] += 1
        assert result.exit_code in (0, 1), result.output
        assert "Traceback" not in result.stderr
        if result.exit_code == 1:
            assert result.stdout == ""
            assert result.stderr.splitlines()[-1].startswith("error: ")
            assert _unchanged(db, template, template_bytes, before)
        else:
            assert result.stdout.startswith("1 file read; ")
            verified = CliRunner().invoke(cli, ["--db", str(db), "verify"],
                                          catch_exceptions=False)
            assert verified.exit_code == 0, verified.stderr

    check()
    print(f"\nCLI fuzz: {sum(seen.values())} examples, exit codes {dict(seen)}")
    assert sum(seen.values()) == CLI_EXAMPLES and seen[1] > 0


# -- the fast document builder --------------------------------------------------------------

def _typed(x: Any) -> Any:
    """``x`` with every value's type spelled out, in order: 1 == True and 0.0 == -0.0 in
    Python, but an outcome of true and of 1 are different files."""
    if isinstance(x, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in x.items()])
    if isinstance(x, list):
        return ("list", [_typed(v) for v in x])
    return (type(x).__name__, repr(x))


def _both_builds(text: str) -> tuple[list, list]:
    """Each document of ``text`` built by yamlfile's fast walk and by PyYAML's constructor
    (an exception's type and text when it refuses); the walk's _NOT_BUILT is kept as is."""
    from ledger.format import yamlfile

    fast: list = []
    full: list = []
    loader = yamlfile._Loader(text)
    try:
        while loader.check_node():
            root = loader.get_node()
            # read_yaml never walks a text that may hold an alias (the walk would copy a
            # billion laughs out in full): nor does this
            built = yamlfile._NOT_BUILT if "*" in text else yamlfile._construct(loader, root)
            fast.append(built if built is yamlfile._NOT_BUILT else _typed(built))
            try:
                full.append(_typed(loader.construct_document(root)))
            except Exception as exc:  # noqa: BLE001 - compared, not handled
                full.append((type(exc).__name__, str(exc)))
    except yaml.YAMLError:
        pass  # a parse error: neither builder is reached for what follows
    finally:
        loader.dispose()
    return fast, full


def _node_tags(text: str, loader_class: type) -> list:
    """Every node's kind, tag and text, document by document, as ``loader_class`` composes
    (a node met again, through an alias, by its number: a billion laughs stays small)."""
    seen: dict[int, int] = {}

    def walk(node: Any) -> Any:
        if id(node) in seen:
            return ("again", seen[id(node)])
        seen[id(node)] = len(seen)
        if isinstance(node, yaml.ScalarNode):
            return (node.tag, node.value)
        if isinstance(node, yaml.SequenceNode):
            return (node.tag, [walk(n) for n in node.value])
        return (node.tag, [(walk(k), walk(v)) for k, v in node.value])

    out: list = []
    roots = []  # kept, so that no node's id is reused by a later document's
    loader = loader_class(text)
    try:
        while loader.check_node():
            roots.append(loader.get_node())
            out.append(walk(roots[-1]))
    except yaml.YAMLError as exc:
        out.append(str(exc))
    finally:
        loader.dispose()
    return out


def _check_same_build(text: str) -> str:
    from ledger.format import yamlfile

    class Uncached(yamlfile._Base):  # the loader's tag rules, resolved by PyYAML every time
        yaml_implicit_resolvers = yamlfile._Loader.yaml_implicit_resolvers

    assert _node_tags(text, yamlfile._Loader) == _node_tags(text, Uncached), text
    fast, full = _both_builds(text)
    for f, g in zip(fast, full, strict=True):
        if f is not yamlfile._NOT_BUILT:
            assert f == g, text
    return "handed over" if any(f is yamlfile._NOT_BUILT for f in fast) else "built"


EDGE_CASES = [
    "a: 1\nb: 0x1F\nc: 0o17\nd: 017\ne: 1_000\nf: 190:20:30\ng: -0\nh: +12\n",
    "a: 1.5\nb: -0.0\nc: .inf\nd: -.inf\ne: .NaN\nf: 1_000.5\ng: 6.8523015e+5\nh: 190:20:30.15\n",
    "a: ~\nb: null\nc:\nd: Null\ne: ''\nf: true\ng: False\nh: yes\ni: no\nj: on\n",
    "a: !!bool yes\nb: !!str 5\nc: !!int '7'\nd: !!float '2'\ne: !!null ''\nf: !!bool maybe\n",
    "a: 2026-05-21\nb: 2026-05-21T10:00:00Z\nc: !!timestamp 2026-05-21\n",
    "a: !!binary aGVsbG8=\nb: !!set {x, y}\nc: !!omap [x: 1]\nd: !secret x\n",
    "a: [1, [2, {b: c}], {d: [e, f]}]\n? [x]\n: y\n",
    "a: 1\n{x: 1}: 2\n", "a: 1\n3: x\n", "a: 1\nnull: x\n", "a: 1\ntrue: x\n",
    "a: 1\nb: 2\na: 3\n", "base: &b {x: 1}\nother:\n  <<: b\n",
    "a: &x 1\nb: 2\n", "a: !!str\nb: ! x\nc: !!map {x: 1}\nd: !!seq [1]\n",
    "- 1\n- two\n", "just text\n", "a: 1\n---\nb: [2]\n---\n- 3\n", "''\n", "a: '1'\nb: \"2\"\n",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_the_fast_builder_builds_what_pyyaml_builds_or_hands_over(text):
    _check_same_build(text)


def test_the_fast_builder_handles_the_common_case_itself():
    # Handing everything over would pass the comparisons above and speed up nothing.
    assert _check_same_build((DATA / "good.yaml").read_text(encoding="utf-8")) == "built"
    assert _check_same_build(EDGE_CASES[0]) == "built"
    assert _check_same_build(EDGE_CASES[2]) == "built"
    assert _check_same_build("a: 1\nb: 2\na: 3\n") == "handed over"
    assert _check_same_build("a: !!binary aGVsbG8=\n") == "handed over"


def test_the_fast_builder_matches_pyyaml_on_every_bad_file():
    for path in sorted((DATA / "bad").rglob("*.yaml")):
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            continue
        _check_same_build(text)


def test_the_fast_builder_matches_pyyaml_on_fuzzed_files():
    seen: Counter[str] = Counter()

    @settings(FUZZ, max_examples=LIBRARY_EXAMPLES)
    @given(mutated_files())
    def check(data: bytes) -> None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return
        seen[_check_same_build(text)] += 1

    check()
    assert seen["built"] > 0
