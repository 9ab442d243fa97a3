"""Opening a ledger file: what every connection checks before anything else runs.

A file is refused in one line, with nothing added to it, when it is not a ledger (someone's
other DuckDB file), or one of another schema version. A ledger on a read-only file system or in
a folder that cannot be written opens read-only, so reading commands work and writes fail in one
line. A full disk is named as such. About 5 ms an open on top of DuckDB's own (see
:func:`check_opened`).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import duckdb

from ledger.errors import (
    CatalogChanged,
    DiskFull,
    InvalidValue,
    LedgerReadOnly,
    NotALedger,
    WrongSchema,
)
from ledger.storage import catalog, schema

READ_ONLY_FS = re.compile(r"read-only file system|permission denied", re.IGNORECASE)


def lock_timeout_from_env() -> float:
    """``FORECAST_LEDGER_LOCK_TIMEOUT``: seconds to wait for another process (default 15)."""
    text = os.environ.get("FORECAST_LEDGER_LOCK_TIMEOUT", "").strip() or "15"
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InvalidValue(f"FORECAST_LEDGER_LOCK_TIMEOUT: {text!r} is not a number of seconds",
                           "set it to 0 or more, e.g. 15, or unset it")
    return value


def access_mode(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT system.main.current_setting('access_mode')").fetchall()[0][0]


def read_only_error(path: Path) -> LedgerReadOnly:
    return LedgerReadOnly(f"cannot write to {path}: it is on a read-only file system or in a "
                          "folder you cannot write to; nothing was written",
                          "reading commands still work; copy the ledger somewhere writable "
                          "to change it")


def write_error(exc: duckdb.Error, path: Path) -> Exception:
    """A DuckDB error while using the ledger, as a named error when it is one people meet."""
    text = str(exc)
    if "No space left on device" in text or "disk is full" in text.lower():
        return DiskFull(f"the disk holding {path} (or DuckDB's temporary folder) is full; "
                        "the change was rolled back", "free some space and try again")
    if "read-only mode" in text or READ_ONLY_FS.search(text):
        return read_only_error(path)
    return exc


def check_opened(con: duckdb.DuckDBPyConnection, path: Path, *, create: bool,
                  read_only: bool, write: bool = False, made: bool = False) -> None:
    """Refuse a file that is not a ledger of this schema; create or upgrade; pin (~6 ms).

    ``made``: the file did not exist before this connection, so DuckDB made it and it is
    blank; listing every function to see that costs ~20 ms a first import would spend."""
    db = catalog.database(con)
    found = catalog.tables(con, db)
    if not found:
        if not made and not catalog.is_blank(con, db):
            raise NotALedger(f"{path} is not a forecast-ledger ledger: it holds views or "
                             "macros but no ledger tables", "point --db at a ledger file")
        if not create:
            raise NotALedger(f"{path} is not a forecast-ledger ledger: it is an empty DuckDB "
                             "file", "import or add something to start a ledger there, or "
                             "point --db at a ledger file")
        if read_only:
            raise read_only_error(path)
        con.begin()
        catalog.create_schema(con, db, schema.DDL)
        con.execute("INSERT INTO meta VALUES ('schema_version', ?), ('views', ?)",
                    [str(schema.SCHEMA_VERSION), schema.VIEWS_REVISION])
        con.commit()
        # Made just now by this connection, from this version's DDL: nothing to read back.
        catalog.pin(con, db, views=True)
        return
    if "meta" not in found:
        raise NotALedger(f"{path} is not a forecast-ledger ledger: it holds other tables "
                         f"({', '.join(sorted(found)[:3])}{', ...' if len(found) > 3 else ''}) "
                         "and nothing was added to it", "point --db at a ledger file")
    rows = con.execute(f"SELECT value FROM {catalog.quoted(db)}.main.meta "
                       "WHERE key = 'schema_version'").fetchall()
    version = rows[0][0] if len(rows) == 1 else None
    catalog.pin(con, db)
    if version == "1" and "blocks" not in found:
        # A ledger of an older schema is checked and upgraded when first opened: every
        # command and page reads the chain as this version keeps it.
        if read_only:
            raise read_only_error(path)
        from ledger.storage.store import _migrate_v1

        _migrate_v1(con, db)
        found, version = catalog.tables(con, db), "2"
    if version == "2" and "pairs" not in found:
        if read_only:
            raise read_only_error(path)
        from ledger.storage.store import _migrate_v2

        _migrate_v2(con, db)
        found, version = catalog.tables(con, db), str(schema.SCHEMA_VERSION)
    if version != str(schema.SCHEMA_VERSION):
        raise wrong_schema(path, version)
    missing = [t for t in schema.TABLES if t not in found]
    if missing:
        raise CatalogChanged([f"table {t}: missing" for t in missing])
    if not read_only and write:
        # Only a ledger whose views are of an earlier revision pays for looking at them.
        views = con.execute(f"SELECT value FROM {catalog.quoted(db)}.main.meta "
                            "WHERE key = 'views'").fetchall()
        if views != [(schema.VIEWS_REVISION,)]:
            con.begin()
            catalog.upgrade_views(con, db)
            con.execute(f"DELETE FROM {catalog.quoted(db)}.main.meta WHERE key = 'views'")
            con.execute(f"INSERT INTO {catalog.quoted(db)}.main.meta VALUES ('views', ?)",
                        [schema.VIEWS_REVISION])
            con.commit()
    catalog.pin(con, db, views=True)


def wrong_schema(path: Path, version: str | None) -> WrongSchema:
    mine = schema.SCHEMA_VERSION
    if version is not None and version.isdigit() and int(version) > mine:
        return WrongSchema(f"{path} was made by a newer forecast-ledger (schema {version}); "
                           f"this one reads schema {mine}", "upgrade forecast-ledger")
    if version in ("1", "2"):
        return WrongSchema(f"{path} says schema {version} but holds schema {mine}'s tables: "
                           "its meta was changed outside forecast-ledger",
                           "restore it from a backup")
    shown = "none" if version is None else repr(version)
    return WrongSchema(f"{path} has an unknown schema version ({shown}); this forecast-ledger "
                       f"reads schema {mine}", "no forecast-ledger wrote it: it was changed "
                       "outside forecast-ledger; restore it from a backup")
