"""A team ledger's server: the append-only log and its hash chain in PostgreSQL (psycopg 3).

The server holds only the log: ``entries`` (the same canonical JSON bodies the DuckDB store
writes, :func:`ledger.storage.store.canonical`) and ``blocks`` (the same ``content`` and
``hash``, :func:`ledger.storage.store.content_hash` and :func:`~ledger.storage.store.link_hash`),
so a replica's blocks equal the server's byte for byte. Typed tables, views and scoring live in
each client's DuckDB replica (:mod:`ledger.storage.replica`).

The database itself keeps the log honest, whatever client writes to it:

- members (roles granted ``forecast_ledger_member``) may SELECT and INSERT the log, nothing else;
- a trigger refuses UPDATE, DELETE and TRUNCATE of ``entries`` and ``blocks`` for everyone,
  the tables' owner included, unless the current role is exactly ``forecast_ledger_maintenance``
  (reached only by an explicit ``SET ROLE``, for documented repairs);
- a trigger refuses a block that does not follow the head (its ``first_seq`` is not head + 1),
  whose ``content`` is not the SHA-256 of its entries' bodies, or whose ``hash`` does not link;
  a deferred one refuses at commit a transaction that leaves entries without a block, so a
  writer killed mid-append leaves nothing;
- identity: a forecast's ``forecaster`` and a resolution's ``resolved_by`` must be the role that
  writes it (``current_user``), unless that role is a member of ``forecast_ledger_maintenance``
  (the administrator who moves a whole ledger in).

psycopg is imported only here and only when a ``postgresql://`` ledger is used, so the CLI on a
ledger file never loads it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ledger.errors import IdentityRefused, ServerError

SCHEMA = "forecast_ledger"
MEMBER = "forecast_ledger_member"
MAINTENANCE = "forecast_ledger_maintenance"
#: pg_advisory_xact_lock key of appends (any constant; "FLAP" in ASCII).
APPEND_LOCK = 0x464C4150
SERVER_VERSION = "1"
#: Rows per INSERT statement when appending.
INSERT_CHUNK = 16_384
GENESIS = "0" * 64


def is_url(db: str | None) -> bool:
    """Whether ``--db`` names a team ledger (a PostgreSQL URL) rather than a file."""
    return bool(db) and str(db).startswith(("postgresql://", "postgres://"))


def safe_url(url: str) -> str:
    """``url`` without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc}" if user else netloc))


def connect(url: str, *, autocommit: bool = False) -> Any:
    """A psycopg connection to the team ledger's database; a failure is one line."""
    import psycopg

    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise ServerError(f"cannot connect to {safe_url(url)}: {first}",
                          "check the URL, that the server runs, and your password "
                          "(PGPASSWORD or ~/.pgpass)") from None


@contextmanager
def errors(url: str) -> Iterator[None]:
    """The server's errors as one line each (a named error raised inside passes through)."""
    import psycopg

    try:
        yield
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ServerError(f"the server refused: {first_line(exc)}",
                          "ask the ledger's administrator to make you a member "
                          f"(GRANT {MEMBER} TO you)") from None
    except psycopg.Error as exc:
        raise ServerError(f"the team ledger's server {safe_url(url)} failed: {first_line(exc)}",
                          "try again; nothing was written") from None


@contextmanager
def session(url: str) -> Iterator[Any]:
    """A connection closed on leaving; the transaction is rolled back unless committed."""
    con = connect(url)
    try:
        with errors(url):
            yield con
    finally:
        con.close()


# -- schema ----------------------------------------------------------------------------------

S = SCHEMA
#: The changes an append-only table refuses: (trigger name, event, row or statement).
_CHANGES = (("append_only", "UPDATE OR DELETE", "ROW"),
            ("append_only_truncate", "TRUNCATE", "STATEMENT"))
# Every statement is idempotent, so `init` run twice leaves the same database.
DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {S}",
    f"""CREATE TABLE IF NOT EXISTS {S}.meta (key text PRIMARY KEY, value text NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {S}.entries (
    seq bigint PRIMARY KEY,
    kind text NOT NULL,
    subject text NOT NULL,
    recorded_at timestamp NOT NULL,
    body text NOT NULL,
    written_by name NOT NULL DEFAULT current_user,
    forecaster text  -- a forecast's forecaster, from its body: what blind visibility checks
)""",
    f"""CREATE INDEX IF NOT EXISTS entries_forecasts ON {S}.entries (subject, forecaster)
WHERE kind = 'forecast'""",
    f"""CREATE INDEX IF NOT EXISTS entries_questions ON {S}.entries (subject, seq)
WHERE kind = 'question'""",
    f"""CREATE TABLE IF NOT EXISTS {S}.blocks (
    first_seq bigint PRIMARY KEY,
    last_seq bigint NOT NULL UNIQUE,
    content text NOT NULL,
    hash text NOT NULL
)""",
    f"""INSERT INTO {S}.meta VALUES ('server_version', '{SERVER_VERSION}')
ON CONFLICT (key) DO NOTHING""",
    f"""INSERT INTO {S}.meta VALUES ('ledger_id', md5(random()::text || clock_timestamp()::text))
ON CONFLICT (key) DO NOTHING""",
    # Append-only, even for the owner: only the maintenance role, set explicitly, may change
    # history (and a superuser, who can do anything, by disabling the trigger: documented).
    f"""CREATE OR REPLACE FUNCTION {S}.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_user = '{MAINTENANCE}' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'forecast-ledger: the log is append-only: % of %.% refused for %',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, current_user
        USING ERRCODE = 'insufficient_privilege';
END $$""",
    # Entries: consecutive numbers, and the writer's own name (identity).
    # SECURITY DEFINER: row-level security hides some entries from members, not from these.
    f"""CREATE OR REPLACE FUNCTION {S}.head_seq() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT coalesce(max(seq), 0) FROM {S}.entries
$$""",
    # The blind questions (their latest version) viewer has not forecast: others' forecasts
    # on them are withheld from viewer (ledger.rules.hidden_from). Computed once per query
    # (a hashed subplan in the policy), not once per row.
    f"""CREATE OR REPLACE FUNCTION {S}.hidden_questions(viewer name) RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT q.subject
    FROM (SELECT DISTINCT ON (subject) subject, body FROM {S}.entries
          WHERE kind = 'question' ORDER BY subject, seq DESC) q
    WHERE coalesce((q.body::jsonb ->> 'blind')::boolean, false)
      AND NOT EXISTS (SELECT 1 FROM {S}.entries f WHERE f.kind = 'forecast'
                      AND f.subject = q.subject AND f.forecaster = viewer::text)
$$""",
    f"""CREATE OR REPLACE FUNCTION {S}.check_entry() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head bigint;
    who text;
BEGIN
    head := {S}.head_seq();
    NEW.forecaster := CASE WHEN NEW.kind = 'forecast'
                           THEN NEW.body::jsonb ->> 'forecaster' END;
    IF NEW.seq <> head + 1 THEN
        RAISE EXCEPTION 'forecast-ledger: entry #% does not follow the head #%', NEW.seq, head
            USING ERRCODE = 'serialization_failure';
    END IF;
    NEW.written_by := current_user;
    IF pg_has_role(current_user, '{MAINTENANCE}', 'MEMBER') THEN
        RETURN NEW;
    END IF;
    who := CASE NEW.kind WHEN 'forecast' THEN NEW.body::jsonb ->> 'forecaster'
                         WHEN 'resolution' THEN NEW.body::jsonb ->> 'resolved_by' END;
    IF who IS NOT NULL AND who <> current_user::text THEN
        RAISE EXCEPTION 'forecast-ledger: identity: % may not write a % as %',
            current_user, NEW.kind, who USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$""",
    # Blocks: follow the head, hash what they cover, link to the block before.
    f"""CREATE OR REPLACE FUNCTION {S}.check_block() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    prev_last bigint;
    prev_hash text;
    n bigint;
    joined text;
BEGIN
    SELECT last_seq, hash INTO prev_last, prev_hash FROM {S}.blocks
        ORDER BY last_seq DESC LIMIT 1;
    prev_last := coalesce(prev_last, 0);
    prev_hash := coalesce(prev_hash, '{GENESIS}');
    IF NEW.first_seq <> prev_last + 1 OR NEW.last_seq < NEW.first_seq THEN
        RAISE EXCEPTION 'forecast-ledger: block #%..#% does not follow the head #%',
            NEW.first_seq, NEW.last_seq, prev_last USING ERRCODE = 'serialization_failure';
    END IF;
    SELECT count(*), string_agg(body, E'\\n' ORDER BY seq) INTO n, joined
        FROM {S}.entries WHERE seq BETWEEN NEW.first_seq AND NEW.last_seq;
    IF n <> NEW.last_seq - NEW.first_seq + 1
       OR NEW.content <> encode(sha256(convert_to(joined, 'UTF8')), 'hex') THEN
        RAISE EXCEPTION 'forecast-ledger: block #%..#%: content is not the hash of its entries',
            NEW.first_seq, NEW.last_seq USING ERRCODE = 'data_exception';
    END IF;
    IF NEW.hash <> encode(sha256(convert_to(prev_hash || E'\\n' || NEW.first_seq || E'\\n'
                                            || NEW.last_seq || E'\\n' || NEW.content,
                                            'UTF8')), 'hex') THEN
        RAISE EXCEPTION 'forecast-ledger: block #%..#%: hash does not link to the head',
            NEW.first_seq, NEW.last_seq USING ERRCODE = 'data_exception';
    END IF;
    RETURN NEW;
END $$""",
    # At commit: every entry is in a block (a client killed between the two inserts, or one
    # that never sends blocks, commits nothing).
    # One index probe per entry at commit.
    f"""CREATE OR REPLACE FUNCTION {S}.check_sealed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM (SELECT last_seq FROM {S}.blocks WHERE first_seq <= NEW.seq
                                  ORDER BY first_seq DESC LIMIT 1) b
                   WHERE b.last_seq >= NEW.seq) THEN
        RAISE EXCEPTION 'forecast-ledger: entries without a block; nothing was written'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$""",
    # Append-only: no UPDATE, DELETE or TRUNCATE of the log, its chain or meta (meta may not
    # be truncated either; its rows are written once by init).
    *(statement for table, events in (("entries", _CHANGES), ("blocks", _CHANGES),
                                      ("meta", _CHANGES[:1]))
      for name, event, each in events
      for statement in (
          f"DROP TRIGGER IF EXISTS {name} ON {S}.{table}",
          f"CREATE TRIGGER {name} BEFORE {event} ON {S}.{table}\n"
          f"FOR EACH {each} EXECUTE FUNCTION {S}.refuse_change()")),
    f"DROP TRIGGER IF EXISTS follows_head ON {S}.entries",
    f"""CREATE TRIGGER follows_head BEFORE INSERT ON {S}.entries
FOR EACH ROW EXECUTE FUNCTION {S}.check_entry()""",
    f"DROP TRIGGER IF EXISTS links ON {S}.blocks",
    f"""CREATE TRIGGER links BEFORE INSERT ON {S}.blocks
FOR EACH ROW EXECUTE FUNCTION {S}.check_block()""",
    f"DROP TRIGGER IF EXISTS sealed ON {S}.entries",
    f"""CREATE CONSTRAINT TRIGGER sealed AFTER INSERT ON {S}.entries
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {S}.check_sealed()""",
    # The whole chain recomputed on the server, for anyone: a member whose replica cannot
    # hold the bodies of blind forecasts still learns that the chain is whole.
    f"""CREATE OR REPLACE FUNCTION {S}.verify_chain(OUT entries bigint, OUT head text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    b record;
    n bigint;
    joined text;
    last bigint := 0;
    prev text := '{GENESIS}';
    hint text := 'the server''s log was changed outside forecast-ledger (by a superuser or '
                 'the maintenance role); compare it with a replica, restore it with `copy`';
BEGIN
    FOR b IN SELECT * FROM {S}.blocks ORDER BY first_seq LOOP
        IF b.first_seq <> last + 1 THEN
            RAISE EXCEPTION 'server chain: block #% does not follow #%', b.first_seq, last
                USING ERRCODE = 'data_exception', HINT = hint;
        END IF;
        SELECT count(*), string_agg(e.body, E'\n' ORDER BY e.seq) INTO n, joined
            FROM {S}.entries e WHERE e.seq BETWEEN b.first_seq AND b.last_seq;
        IF n <> b.last_seq - b.first_seq + 1
           OR b.content <> encode(sha256(convert_to(joined, 'UTF8')), 'hex') THEN
            RAISE EXCEPTION 'server chain: entries #%..#% do not match their block''s hash',
                b.first_seq, b.last_seq USING ERRCODE = 'data_exception', HINT = hint;
        END IF;
        IF b.hash <> encode(sha256(convert_to(prev || E'\n' || b.first_seq || E'\n'
                                              || b.last_seq || E'\n' || b.content,
                                              'UTF8')), 'hex') THEN
            RAISE EXCEPTION 'server chain: block #%..#% does not link', b.first_seq,
                b.last_seq USING ERRCODE = 'data_exception', HINT = hint;
        END IF;
        last := b.last_seq;
        prev := b.hash;
    END LOOP;
    IF {S}.head_seq() <> last THEN
        RAISE EXCEPTION 'server chain: entries after #% are in no block', last
            USING ERRCODE = 'data_exception', HINT = hint;
    END IF;
    entries := last;
    head := prev;
END $$""",
    # Blind questions stay blind across members, even in psql: a member reads another's
    # forecast on a blind question only once they have logged one of their own on it.
    f"ALTER TABLE {S}.entries ENABLE ROW LEVEL SECURITY",
    f"DROP POLICY IF EXISTS member_read ON {S}.entries",
    f"""CREATE POLICY member_read ON {S}.entries FOR SELECT TO {MEMBER}
USING (kind <> 'forecast' OR forecaster = current_user::text
       OR subject NOT IN (SELECT {S}.hidden_questions(current_user)))""",
    f"DROP POLICY IF EXISTS member_append ON {S}.entries",
    f"CREATE POLICY member_append ON {S}.entries FOR INSERT TO {MEMBER} WITH CHECK (true)",
    f"DROP POLICY IF EXISTS maintenance ON {S}.entries",
    f"""CREATE POLICY maintenance ON {S}.entries FOR ALL TO {MAINTENANCE}
USING (true) WITH CHECK (true)""",
]


def _create_role(cur: Any, role: str) -> None:
    # CREATE ROLE has no IF NOT EXISTS.
    cur.execute(f"""DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} NOLOGIN;
    END IF;
END $$""")


def init(url: str, members: Sequence[str] = ()) -> dict[str, Any]:
    """Create the schema, the roles, the grants and the triggers; idempotent.

    Run by an administrator (a role that may create roles). ``members`` (existing login roles)
    are granted ``forecast_ledger_member``. Returns what the server holds.
    """
    import psycopg
    import psycopg.sql

    with session(url) as con:
        try:
            with con.cursor() as cur:
                # Two `init`s at once must not race on CREATE ... IF NOT EXISTS.
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK + 1])
                _create_role(cur, MEMBER)
                _create_role(cur, MAINTENANCE)
                for statement in DDL:
                    cur.execute(statement)
                cur.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {S} FROM PUBLIC, {MEMBER}")
                cur.execute(f"GRANT USAGE ON SCHEMA {S} TO {MEMBER}, {MAINTENANCE}")
                cur.execute(f"GRANT SELECT, INSERT ON {S}.entries, {S}.blocks TO {MEMBER}")
                cur.execute(f"GRANT SELECT ON {S}.meta TO {MEMBER}")
                cur.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {S} "
                            f"TO {MAINTENANCE}")
                for member in members:
                    cur.execute(psycopg.sql.SQL("GRANT {} TO {}").format(
                        psycopg.sql.Identifier(MEMBER), psycopg.sql.Identifier(member)))
            con.commit()
        except psycopg.Error as exc:
            raise ServerError(f"cannot set up the team ledger on {safe_url(url)}: "
                              f"{first_line(exc)}",
                              "run `init` as an administrator who may create roles") from None
        return server_state(con)


def server_state(con: Any) -> dict[str, Any]:
    """``{"entries", "head", "ledger_id"}`` of the server."""
    last, head = server_head(con)
    (ledger_id,) = con.execute(f"SELECT value FROM {S}.meta WHERE key = 'ledger_id'").fetchone()
    return {"entries": last, "head": head, "ledger_id": ledger_id}


def require_schema(con: Any, url: str) -> None:
    found = con.execute("SELECT to_regclass(%s)", [f"{S}.blocks"]).fetchone()[0]
    if found is None:
        raise ServerError(f"{safe_url(url)} holds no team ledger",
                          "an administrator creates one with `forecast-ledger --db URL init`")


def server_head(con: Any) -> tuple[int, str]:
    """``(last seq, head hash)`` on the server; ``(0, GENESIS)`` when empty."""
    row = con.execute(f"SELECT last_seq, hash FROM {S}.blocks ORDER BY last_seq DESC LIMIT 1"
                      ).fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def block_hash_at(con: Any, last_seq: int) -> str | None:
    """The hash of the server's block ending at ``last_seq`` (None: no block ends there)."""
    row = con.execute(f"SELECT hash FROM {S}.blocks WHERE last_seq = %s", [last_seq]).fetchone()
    return row[0] if row else None


def identity(con: Any) -> str:
    """The forecaster this connection writes as: its database role."""
    return con.execute("SELECT current_user").fetchone()[0]


def may_write_any_name(con: Any) -> bool:
    return bool(con.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')",
                            [MAINTENANCE]).fetchone()[0])


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line.removeprefix("forecast-ledger: ")


def lock_head(con: Any) -> None:
    """Serialise appends: held until this transaction commits or rolls back."""
    con.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK])


def insert(con: Any, entries: Sequence[tuple[int, str, str, Any, str]],
           blocks: Sequence[tuple[int, int, str, str]]) -> None:
    """Insert sealed entries and their blocks (inside the caller's locked transaction).

    The server's triggers check them again; a refusal becomes a named error.
    """
    import psycopg

    try:
        # INSERT from arrays, not COPY: row-level security refuses COPY FROM for members.
        with con.cursor() as cur:
            for i in range(0, len(entries), INSERT_CHUNK):
                part = entries[i:i + INSERT_CHUNK]
                cur.execute(
                    f"INSERT INTO {S}.entries (seq, kind, subject, recorded_at, body) "
                    "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], "
                    "%s::timestamp[], %s::text[])", [list(c) for c in zip(*part, strict=True)])
            for i in range(0, len(blocks), INSERT_CHUNK):
                part = blocks[i:i + INSERT_CHUNK]
                cur.execute(
                    f"INSERT INTO {S}.blocks (first_seq, last_seq, content, hash) "
                    "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[])",
                    [list(c) for c in zip(*part, strict=True)])
    except psycopg.errors.InsufficientPrivilege as exc:
        text = first_line(exc)
        if text.startswith("identity:"):
            raise IdentityRefused(
                f"the server refused: {text.removeprefix('identity: ')}",
                "on a team ledger you write as your own database role") from None
        raise ServerError(f"the server refused: {text}",
                          "ask the ledger's administrator to add you as a member "
                          f"(GRANT {MEMBER} TO you)") from None
    except psycopg.Error as exc:
        raise ServerError(f"the server refused the append: {first_line(exc)}",
                          "try again; nothing was written") from None


def fetch_blocks(con: Any, after: int, limit: int) -> list[tuple[int, int, str, str]]:
    """Up to ``limit`` blocks after entry ``after``, in order."""
    return con.execute(
        f"SELECT first_seq, last_seq, content, hash FROM {S}.blocks WHERE first_seq > %s "
        "ORDER BY first_seq LIMIT %s", [after, limit]).fetchall()


def fetch_entries(con: Any, first: int, last: int) -> list[tuple[int, str, str, Any, str]]:
    """Entries ``first``..``last`` as ``(seq, kind, subject, recorded_at, body)``."""
    with con.cursor(binary=True) as cur:
        cur.execute(f"SELECT seq, kind, subject, recorded_at, body FROM {S}.entries "
                    "WHERE seq BETWEEN %s AND %s ORDER BY seq", [first, last])
        return cur.fetchall()


def verify_server(con: Any) -> tuple[int, str]:
    """The server's whole chain recomputed on the server (``verify_chain``, which sees every
    entry, so a member whose replica lacks blind forecasts can run it); ``(entries, head)``.

    Raises :class:`ServerError` naming the first block whose content or link is wrong, or a
    gap.
    """
    import psycopg

    try:
        return tuple(con.execute(f"SELECT * FROM {S}.verify_chain()").fetchone())
    except psycopg.errors.DataException as exc:
        con.rollback()
        raise ServerError(first_line(exc), exc.diag.message_hint or "") from None
