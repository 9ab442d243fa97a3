"""What a ledger file may hold besides its rows: its catalog, checked against this version's.

A DuckDB file can define macros that shadow built-in functions (a macro named ``encode`` wins
over the built-in), views that replace ours, extra tables, sequences and types. None of that is
trusted. Every connection is *pinned* when opened (:func:`pin`): built-in functions are found
before anything the file defines, and this version's views are created as temporary views that
come before the file's, so readers never run the file's SQL. ``verify`` compares the file's
whole catalog with the one this version creates in a fresh in-memory database
(:func:`catalog_problems`) and names anything changed, extra or missing.

Catalog functions are always called system-qualified (``system.main.duckdb_tables()``) so the
file cannot shadow them either.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache

import duckdb

from ledger.storage import schema

_VIEW_DDL = [d for d in schema.DDL if d.startswith("CREATE OR REPLACE VIEW")]
_TEMP_VIEWS = [d.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW", 1)
               for d in _VIEW_DDL]
_TEMP_VIEWS_SQL = ";\n".join(_TEMP_VIEWS)
_HEX64 = re.compile(r"[0-9a-f]{64}")


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def database(con: duckdb.DuckDBPyConnection) -> str:
    """The name DuckDB gave the ledger file in this connection: its one database that is not
    internal (current_database() names the first entry of the search path once pinned)."""
    return con.execute("SELECT database_name FROM system.main.duckdb_databases() "
                       "WHERE NOT internal LIMIT 1").fetchall()[0][0]


def tables(con: duckdb.DuckDBPyConnection, db: str) -> set[str]:
    """Base tables in the file's main schema (about 1 ms)."""
    return {t for (t,) in con.execute(
        "SELECT table_name FROM system.main.duckdb_tables() "
        "WHERE database_name = $1 AND schema_name = 'main'", [db]).fetchall()}


def is_blank(con: duckdb.DuckDBPyConnection, db: str) -> bool:
    """Nothing at all in the file: a new file DuckDB just made (checked only when no table is
    found, so the ~30 ms of listing functions is spent only then)."""
    rows = con.execute(
        """SELECT count(*) FROM (
               SELECT 1 FROM system.main.duckdb_views() WHERE database_name = $1 AND NOT internal
               UNION ALL SELECT 1 FROM system.main.duckdb_functions()
                   WHERE database_name = $1 AND NOT internal
               UNION ALL SELECT 1 FROM system.main.duckdb_sequences() WHERE database_name = $1
               UNION ALL SELECT 1 FROM system.main.duckdb_schemas()
                   WHERE database_name = $1 AND schema_name <> 'main')""", [db]).fetchall()
    return rows[0][0] == 0


def create_schema(con: duckdb.DuckDBPyConnection, db: str, ddl: list[str]) -> None:
    """Run DDL in the file. DuckDB creates objects in the first schema of the search path, so
    the file's comes first for these statements only; views store their text, so nothing the
    file defines is called here. Then the connection is pinned again."""
    con.execute("SET search_path = $1", [f"{quoted(db)}.main"])
    try:
        for statement in ddl:
            con.execute(statement)
    finally:
        pin(con, db)


def pin(con: duckdb.DuckDBPyConnection, db: str, *, views: bool = False) -> None:
    """Make unqualified names mean forecast-ledger's in this connection (about 4 ms).

    Built-in functions come first, so a macro of the file cannot shadow them; temporary views
    (``views``) hold this version's SQL and come before the file's, so a replaced view is
    never read; then the file's tables.
    """
    con.execute("SET search_path = $1", [f"system.main,temp.main,{quoted(db)}.main"])
    if views:
        con.execute(_TEMP_VIEWS_SQL)  # one call: about 0.5 ms less than four


Catalog = dict[str, str]  # "kind name" -> its definition, as DuckDB reports it


def _catalog(con: duckdb.DuckDBPyConnection, db: str) -> Catalog:
    out: Catalog = {}
    for name, kind in con.execute(
            "SELECT schema_name, 'schema' FROM system.main.duckdb_schemas() "
            "WHERE database_name = $1 AND NOT internal AND schema_name <> 'main'", [db]
    ).fetchall():
        out[f"{kind} {name}"] = ""
    for table, column, typ, nullable, default in con.execute(
            """SELECT table_name, column_name, data_type, is_nullable, column_default
               FROM system.main.duckdb_columns()
               WHERE database_name = $1 AND NOT internal
                 AND table_name NOT IN (SELECT view_name FROM system.main.duckdb_views()
                                        WHERE database_name = $1)
               ORDER BY table_name, column_index""", [db]).fetchall():
        key = f"table {table}"
        out[key] = out.get(key, "") + f"{column} {typ} {nullable} {default};"
    for schema_name, table, sql in con.execute(
            "SELECT schema_name, table_name, sql FROM system.main.duckdb_tables() "
            "WHERE database_name = $1", [db]).fetchall():
        key = f"table {table}" if schema_name == "main" else f"table {schema_name}.{table}"
        out.setdefault(key, "")
        out[key + " (constraints)"] = re.sub(r"\s+", " ", sql.split("(", 1)[-1])
    for name, sql in con.execute(
            "SELECT view_name, sql FROM system.main.duckdb_views() "
            "WHERE database_name = $1 AND NOT internal", [db]).fetchall():
        out[f"view {name}"] = sql
    for name, kind, macro in con.execute(
            "SELECT function_name, function_type, macro_definition FROM "
            "system.main.duckdb_functions() WHERE database_name = $1 AND NOT internal", [db]
    ).fetchall():
        out[f"{'macro' if 'macro' in kind else 'function'} {name}"] = str(macro)
    for (name,) in con.execute("SELECT sequence_name FROM system.main.duckdb_sequences() "
                               "WHERE database_name = $1", [db]).fetchall():
        out[f"sequence {name}"] = ""
    for name, sql in con.execute("SELECT index_name, sql FROM system.main.duckdb_indexes() "
                                 "WHERE database_name = $1", [db]).fetchall():
        out[f"index {name}"] = str(sql)
    for name, in con.execute("SELECT type_name FROM system.main.duckdb_types() "
                             "WHERE database_name = $1 AND NOT internal", [db]).fetchall():
        out[f"type {name}"] = ""
    return out


def ddl_digest() -> str:
    """What the expected catalog depends on: this DuckDB's version and the schema's DDL."""
    text = "\n".join([duckdb.__version__, *schema.DDL])
    return hashlib.sha256(text.encode()).hexdigest()


def built_catalog() -> Catalog:
    """The catalog this version of forecast-ledger creates, made in a fresh in-memory
    database (about 70 ms)."""
    con = duckdb.connect(":memory:")
    try:
        for statement in schema.DDL:
            con.execute(statement)
        return _catalog(con, database(con))
    finally:
        con.close()


@cache
def expected() -> Catalog:
    """The catalog this version of forecast-ledger creates: :func:`built_catalog`, read from
    its generated copy :mod:`ledger.storage.catalog_expected` when that was made from the same
    DuckDB version and DDL (saving ~70 ms on every ``verify``), else built. The tests hold the
    copy equal to a fresh build (regenerate it with ``python -m ledger.storage.catalog``)."""
    from ledger.storage import catalog_expected

    if ddl_digest() == catalog_expected.DIGEST:
        return dict(catalog_expected.CATALOG)
    return built_catalog()


def expected_module_text() -> str:
    """The source of :mod:`ledger.storage.catalog_expected` for this DuckDB and DDL."""
    lines = ['"""Generated by ``python -m ledger.storage.catalog``: the catalog that',
             'schema.DDL creates in this DuckDB version (ledger.storage.catalog.expected).',
             'Do not edit."""',
             "", "# ruff: noqa: E501", "",
             f"DIGEST = {ddl_digest()!r}", "", "CATALOG = {"]
    lines += [f"    {key!r}: {value!r}," for key, value in sorted(built_catalog().items())]
    lines += ["}", ""]
    return "\n".join(lines)


@cache
def previous_views() -> dict[str, set[str]]:
    """``"view NAME"`` -> the SQL DuckDB stores for each text of that view an earlier version
    of forecast-ledger wrote (:data:`ledger.storage.schema.PREVIOUS_VIEWS`)."""
    con = duckdb.connect(":memory:")
    try:
        for statement in schema.DDL:
            con.execute(statement)
        db, out = database(con), {}
        for statement in schema.PREVIOUS_VIEWS:
            con.execute(statement)
            name = re.match(r"CREATE OR REPLACE VIEW (\w+)", statement).group(1)
            out.setdefault(f"view {name}", set()).add(_catalog(con, db)[f"view {name}"])
        return out
    finally:
        con.close()


def _older(key: str, found: Catalog) -> bool:
    return key in found and found[key] in previous_views().get(key, ())


def upgrade_views(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    """Replace the views an earlier version wrote with this version's (dropping those it no
    longer has); returns their names. Only texts of :func:`previous_views` are touched: any
    other difference is for ``verify`` to report. Called on writable opens (about 6 ms)."""
    stored = dict(con.execute("SELECT view_name, sql FROM system.main.duckdb_views() "
                              "WHERE database_name = $1 AND schema_name = 'main' "
                              "AND NOT internal", [db]).fetchall())
    found = {f"view {name}": sql for name, sql in stored.items()}
    stale = [key for key in found if _older(key, found)]
    if not stale:
        return []
    want = expected()
    ddl = [d for d in schema.DDL if d.startswith("CREATE OR REPLACE VIEW")]
    for key in stale:
        if key not in want:
            con.execute(f"DROP VIEW {quoted(db)}.main.{quoted(key.split()[1])}")
    create_schema(con, db, ddl)
    return [key.split()[1] for key in stale]


def catalog_problems(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    """Everything in the file's catalog that differs from :func:`expected`, one line each.

    A view as an earlier version of forecast-ledger wrote it is not a problem: the next write
    upgrades it (:func:`upgrade_views`)."""
    found, want = _catalog(con, db), expected()
    problems: dict[str, str] = {}  # one line per object, the first thing found wrong with it
    for key in sorted(set(found) | set(want)):
        base = key.removesuffix(" (constraints)")
        # (an earlier version's views are looked up only for a view that differs: building
        # them costs ~90 ms)
        if base in problems or (found.get(key) != want.get(key) and _older(key, found)):
            continue
        if key not in want:
            problems[base] = f"{base}: not created by forecast-ledger"
        elif key not in found:
            problems[base] = f"{base}: missing"
        elif found[key] != want[key]:
            what = {"view": "its SQL differs", "table": "its columns differ"}.get(
                key.split()[0], "its definition differs")
            if key != base:
                what = "its constraints differ"
            problems[base] = f"{base}: {what} from forecast-ledger's"
    return list(problems.values())


def meta_problems(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    """``meta`` holds the schema version and, after an upgrade from schema 1, the old head."""
    problems = []
    for key, value in con.execute(f"SELECT key, value FROM {quoted(db)}.main.meta ORDER BY key"
                                  ).fetchall():
        if key == "schema_version":
            if value != str(schema.SCHEMA_VERSION):
                problems.append(f"meta schema_version: {value!r} is not "
                                f"{schema.SCHEMA_VERSION}")
        elif key == "views":
            if value != schema.VIEWS_REVISION:
                problems.append(f"meta views: {value!r} is not {schema.VIEWS_REVISION}")
        elif key == "v1_head":
            if not _HEX64.fullmatch(value):
                problems.append("meta v1_head: not a SHA-256 hash")
        else:
            problems.append(f"meta {key}: not written by forecast-ledger")
    return problems


if __name__ == "__main__":  # regenerate the expected catalog's copy
    from pathlib import Path

    target = Path(__file__).with_name("catalog_expected.py")
    target.write_text(expected_module_text())
    print(f"wrote {target}")
