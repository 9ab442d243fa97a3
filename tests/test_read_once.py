"""A file that changes while it is imported is read once: what is checked is what is written.

A second process replaces the file again and again, whole (``os.replace``), between two
versions that are each valid but hold other forecasters and questions. Whenever the import
reads it, the ledger must hold exactly one version: an importer that read the file twice (to
check it, then to write it, or once per column) would mix the two or write rows it never
checked.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pytest
from conftest import Cli, write

ROWS = 300
HEADER = "question_id,question,criteria,resolve_by,opened,forecaster,probability,made_at\n"


def _csv(who: str, p: float) -> str:
    return HEADER + "".join(
        f"{who}-q{i % 30},Will {who} thing {i % 30} happen?,Yes if it does.,2026-06-01,"
        f"2026-01-01,{who},{p},2026-02-{1 + i // 30:02d}\n" for i in range(ROWS))


def _yaml(who: str, p: float) -> str:
    questions = "".join(
        f"  - id: {who}-q{i}\n    question: Will {who} thing {i} happen?\n"
        f"    criteria: Yes if it does.\n    resolve_by: 2026-06-01\n    opened: 2026-01-01\n"
        f"    forecasts:\n      - forecaster: {who}\n        probability: {p}\n"
        f"        made_at: 2026-02-01\n" for i in range(ROWS // 10))
    return "questions:\n" + questions


def _parquet(tmp: Path, who: str, p: float) -> bytes:
    src = write(tmp / f"{who}.csv", _csv(who, p))
    out = tmp / f"{who}.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', all_varchar=true)) TO '{out}' "
               "(FORMAT parquet, ROW_GROUP_SIZE 16)")  # many row groups: many reads if re-read
    return out.read_bytes()


class Swapper:
    """Replaces ``path`` with version A, then B, then A... until stopped."""

    def __init__(self, path: Path, versions: list[bytes]) -> None:
        self.path, self.versions = path, versions
        self.stop = threading.Event()
        self.swaps = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        tmp = self.path.with_name("." + self.path.name + ".next")
        while not self.stop.is_set():
            tmp.write_bytes(self.versions[self.swaps % 2])
            os.replace(tmp, self.path)
            self.swaps += 1

    def __enter__(self) -> Swapper:
        self.path.write_bytes(self.versions[0])
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def _held(db: Path) -> tuple[set[str], set[float], int]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = {n for (n,) in con.execute("SELECT DISTINCT forecaster FROM forecasts").fetchall()}
        probs = {p for (p,) in con.execute("SELECT DISTINCT probability FROM forecasts").fetchall()}
        n = con.execute("SELECT count(*) FROM forecasts").fetchall()[0][0]
    return names, probs, n


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["csv", "parquet", "yaml"])
def test_a_file_replaced_while_it_is_imported_gives_exactly_one_version(kind: str,
                                                                       tmp_path: Path) -> None:
    if kind == "csv":
        versions = [_csv("ann", 0.2).encode(), _csv("bob", 0.8).encode()]
        expected = ROWS
    elif kind == "parquet":
        versions = [_parquet(tmp_path, "ann", 0.2), _parquet(tmp_path, "bob", 0.8)]
        expected = ROWS
    else:
        versions = [_yaml("ann", 0.2).encode(), _yaml("bob", 0.8).encode()]
        expected = ROWS // 10
    path = tmp_path / "in" / f"forecasts.{kind}"
    path.parent.mkdir()
    with Swapper(path, versions) as swapper:
        for attempt in range(8):
            db = tmp_path / f"ledger-{attempt}.duckdb"
            result = Cli(db)("import", str(path))
            assert result.exit_code == 0, result.stderr
            names, probs, n = _held(db)
            assert (names, probs, n) in [({"ann"}, {0.2}, expected),
                                         ({"bob"}, {0.8}, expected)], (names, probs, n)
            assert Cli(db)("verify").exit_code == 0
    assert swapper.swaps > 8  # the file really changed during the imports
