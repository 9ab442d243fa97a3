"""Faults give one line, never a traceback, and leave the ledger as it was.

An export killed with SIGKILL at seeded random moments (start-up, querying, writing, renaming)
leaves only its target: the old backup or a complete export, never a half-written file or a
temporary beside it.

A full disk is a real small tmpfs filled to the last byte; a read-only file system is a tmpfs
remounted read-only. Both need root to mount; without it those tests are skipped, saying why.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import DATA, console_script, run_script, write

from ledger.ingest.bulk import import_tables
from ledger.ingest.importer import import_paths
from ledger.storage.store import Ledger

FULL = ("error: the disk holding {db} (or DuckDB's temporary folder) is full; the change was "
        "rolled back (free some space and try again)")
READ_ONLY = ("error: cannot write to {db}: it is on a read-only file system or in a folder you "
             "cannot write to; nothing was written (reading commands still work; copy the "
             "ledger somewhere writable to change it)")


def _mount(folder: Path, size: str) -> None:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to make a real full or read-only disk "
                    f"(needs root): {done.stderr.strip()}")


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path):
    disk = tmp_path / "disk"
    _mount(disk, "16m")
    yield disk
    _umount(disk)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill the disk to the last byte but ``leave``; returns the filler, to delete to free the
    disk again."""
    filler = disk / "filler"
    block = b"\0" * (64 * 1024)
    with open(filler, "wb", buffering=0) as fh:
        for size in (len(block), 4096, 1):
            try:
                while True:
                    fh.write(block[:size])
            except OSError:
                continue
    if leave:
        os.truncate(filler, max(filler.stat().st_size - leave, 0))
    return filler


def dump(db: Path) -> str:
    """The full YAML export and the head: compared before and after a fault."""
    out = run_script("--db", str(db), "export")
    head = run_script("--db", str(db), "verify")
    assert out.returncode == 0 and head.returncode == 0, out.stderr + head.stderr
    return out.stdout + head.stdout


def ledger_on(disk: Path) -> Path:
    db = disk / "ledger.duckdb"
    import_paths(Ledger(db), [DATA / "good.yaml"])
    return db


def assert_one_line(result: subprocess.CompletedProcess, line: str) -> None:
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == line


# -- a full disk -----------------------------------------------------------------------------

def rows_csv(path: Path, n: int) -> Path:
    head = "question_id,question,criteria,resolve_by,opened,forecaster,probability,made_at\n"
    return write(path, head + "".join(
        f"bulk-{i // 10:05d},Will bulk event {i // 10} happen?,Yes if it does.,2027-06-01,"
        f"2026-01-01,f{i % 10},0.{i % 9 + 1},2026-02-01\n" for i in range(n)))


@pytest.mark.parametrize("command", [
    ["forecast", "sample-price-rises", "--p", "0.5"],
    ["add", "Will the disk fill?", "--by", "2030-01-01", "--p", "0.5"],
    ["import", "BULK"],
])
def test_a_full_disk_while_writing_is_one_line_and_loses_nothing(small_disk, tmp_path, command):
    db = ledger_on(small_disk)
    before = dump(db)
    leave = 0
    if "BULK" in command:  # 200,000 rows with 2 MB left: the disk fills in the middle
        command = [str(rows_csv(tmp_path / "rows.csv", 200_000)) if a == "BULK" else a
                   for a in command]
        leave = 2 * 1024 * 1024
    filler = fill(small_disk, leave)
    args = command
    result = run_script("--db", str(db), "--as", "tester", *args)
    assert_one_line(result, FULL.format(db=db))
    filler.unlink()
    assert dump(db) == before


def test_a_full_disk_during_export_keeps_the_old_file(small_disk, tmp_path):
    db = tmp_path / "ledger.duckdb"
    import_paths(Ledger(db), [DATA / "good.yaml"])
    out = small_disk / "backup.yaml"
    out.write_text("the old backup\n")
    filler = fill(small_disk)
    for fmt in ("yaml", "csv", "parquet"):
        result = run_script("--db", str(db), "export", "--format", fmt, "--out", str(out),
                            "--force")
        assert_one_line(result, f"error: cannot write {out}: the disk is full; nothing was "
                                "written there (free some space and try again)")
    assert out.read_text() == "the old backup\n"
    assert sorted(p.name for p in small_disk.iterdir()) == ["backup.yaml", "filler"]
    filler.unlink()


def test_export_into_a_missing_folder_is_one_line(tmp_path):
    db = tmp_path / "ledger.duckdb"
    import_paths(Ledger(db), [DATA / "good.yaml"])
    for fmt in ("yaml", "parquet"):
        out = tmp_path / "no" / "such" / f"backup.{fmt}"
        result = run_script("--db", str(db), "export", "--format", fmt, "--out", str(out))
        assert_one_line(result, f"error: cannot write {out}: the folder {out.parent} does not "
                                "exist (create it first, or choose another --out)")
    assert not (tmp_path / "no").exists()


# -- a bad lock timeout ----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["abc", "nan", "-1", "inf"])
def test_a_bad_lock_timeout_is_one_line(tmp_path, value):
    db = tmp_path / "ledger.duckdb"
    import_paths(Ledger(db, lock_timeout=5), [DATA / "good.yaml"])
    for args in (["list"], ["forecast", "sample-ships", "--p", "0.5"]):
        result = run_script("--db", str(db), "--as", "tester", *args,
                            env={"FORECAST_LEDGER_LOCK_TIMEOUT": value})
        assert_one_line(result, f"error: FORECAST_LEDGER_LOCK_TIMEOUT: {value!r} is not a "
                                "number of seconds (set it to 0 or more, e.g. 15, or unset it)")


# -- a read-only file system -----------------------------------------------------------------

@pytest.fixture
def read_only_ledger(tmp_path: Path):
    disk = tmp_path / "disk"
    _mount(disk, "16m")
    db = ledger_on(disk)
    expected = {args[0]: run_script("--db", str(db), *args).stdout for args in READS}
    done = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        _umount(disk)
        pytest.skip(f"cannot remount a tmpfs read-only: {done.stderr.strip()}")
    yield db, expected
    _umount(disk)


READS = [["list"], ["show", "sample-ships"], ["score"], ["export"], ["verify"]]


def test_a_ledger_on_a_read_only_file_system_can_be_read(read_only_ledger, tmp_path):
    db, expected = read_only_ledger
    for args in READS:
        result = run_script("--db", str(db), *args)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout == expected[args[0]]
    out = tmp_path / "backup.yaml"
    assert run_script("--db", str(db), "export", "--out", str(out)).returncode == 0
    assert out.read_text() == expected["export"]


@pytest.mark.parametrize("command", [
    ["forecast", "sample-ships", "--p", "0.5"],
    ["add", "Will it?", "--by", "2030-01-01"],
    ["resolve", "sample-price-rises", "no"],
    ["import", str(DATA / "good.yaml")],
])
def test_a_write_to_a_read_only_ledger_is_one_line(read_only_ledger, command):
    db, expected = read_only_ledger
    result = run_script("--db", str(db), "--as", "tester", *command)
    assert_one_line(result, READ_ONLY.format(db=db))
    assert run_script("--db", str(db), "export").stdout == expected["export"]


# -- a kill during export ---------------------------------------------------------------------

SEED = 20261202
KILLS = 10  # per format
OLD = b"the old backup\n"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export-kill")
    db = root / "ledger.duckdb"
    import_paths(Ledger(db), [DATA / "good.yaml"])
    head = "question_id,question,criteria,resolve_by,opened,forecaster,probability,made_at\n"
    rows = write(root / "rows.csv", head + "".join(
        f"kill-{i // 10:05d},Will event {i // 10} happen?,Yes if it does.,2027-06-01,"
        f"2026-01-01,f{i % 10},0.{i % 9 + 1},2026-02-01\n" for i in range(30_000)))
    import_tables(Ledger(db), [rows])
    return db


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "parquet", "yaml"])
def test_sigkill_during_export_leaves_the_old_file_or_the_new_one(big, tmp_path, fmt):
    reference = tmp_path / f"reference.{fmt}"
    assert run_script("--db", str(big), "export", "--format", fmt, "--out", str(reference)
                      ).returncode == 0
    complete = reference.read_bytes()
    started = time.monotonic()
    run_script("--db", str(big), "export", "--format", fmt, "--out", str(tmp_path / "t"))
    duration = time.monotonic() - started
    rng = random.Random(f"{SEED}-{fmt}")
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / f"backup.{fmt}"
    outcomes = {"old": 0, "new": 0}
    for _ in range(KILLS):
        target.write_bytes(OLD)
        proc = subprocess.Popen([console_script(), "--db", str(big), "export", "--format", fmt,
                                 "--out", str(target), "--force"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert [p.name for p in folder.iterdir()] == [target.name]
        got = target.read_bytes()
        assert got in (OLD, complete), "a kill left a half-written export"
        outcomes["old" if got == OLD else "new"] += 1
    print(f"\n{fmt}: {KILLS} kills over {duration:.1f} s: {outcomes}")
    assert outcomes["old"] > 0  # some kills landed before the rename
