"""The team ledger's commands: ``init`` (set up a PostgreSQL ledger), ``sync`` (bring the local
replica up to date and say how far behind it was) and ``copy`` (move a whole ledger between a
file and a server). Registered on the group in :mod:`ledger.faces.cli`; each calls one library
function (:mod:`ledger.storage.pg`, :mod:`ledger.storage.replica`).
"""

from __future__ import annotations

import click

from ledger.errors import LedgerError
from ledger.faces.cli import Context, json_option, pass_ctx

COMMANDS = ("init", "sync", "copy")


def _need_team(c: Context, command: str) -> None:
    if not c.team:
        raise LedgerError(f"`{command}` is for a team ledger; {c.db} is a ledger file",
                          "give --db postgresql://user@host:port/dbname "
                          "(or FORECAST_LEDGER_DB)")


@click.command()
@click.option("--member", "members", multiple=True, metavar="ROLE",
              help="A login role to make a member (repeat for several).")
@json_option
@pass_ctx
def init(c: Context, members: tuple[str, ...], as_json: bool) -> None:
    """Set up a team ledger on PostgreSQL: schema, roles, grants, triggers (idempotent).

    Run it as an administrator who may create roles. Members are login roles granted
    forecast_ledger_member; each writes only under their own role name.

    \b
    Example:
        forecast-ledger --db postgresql://admin@db.example:5432/forecasts init --member alice
    """
    _need_team(c, "init")
    from ledger.storage import pg

    state = pg.init(c.db, members=members)
    if as_json:
        from ledger.reports.render import to_json

        click.echo(to_json(state))
        return
    click.echo(f"team ledger ready on {pg.safe_url(c.db)}: {state['entries']:,} entries"
               + (f"; members added: {', '.join(members)}" if members else ""))


@click.command()
@click.option("--status", "status_only", is_flag=True,
              help="Only say how far behind the replica is; fetch nothing.")
@json_option
@pass_ctx
def sync(c: Context, status_only: bool, as_json: bool) -> None:
    """Fetch the team ledger's new entries into the local replica, checking the chain.

    A replica that disagrees with the server's chain is moved aside and rebuilt, never
    merged. The replica lives in ~/.cache/forecast-ledger (env FORECAST_LEDGER_REPLICA_DIR).

    \b
    Example:
        forecast-ledger --db postgresql://alice@db.example/forecasts sync
    """
    _need_team(c, "sync")
    report = c.ledger.sync(status_only=status_only)
    if as_json:
        from ledger.reports.render import to_json

        click.echo(to_json(report.as_dict()))
        return
    click.echo(report.summary())


@click.command()
@click.argument("src")
@click.argument("dst")
def copy(src: str, dst: str) -> None:
    """Copy a whole ledger between a file and a team ledger, hash chain unchanged.

    Into a server: the team ledger must be empty (just `init`ed) and you its administrator.
    Out of a server: into a new ledger file. Both ends verify the same head.

    \b
    Example:
        forecast-ledger copy ledger.duckdb postgresql://admin@db.example/forecasts
        forecast-ledger copy postgresql://admin@db.example/forecasts copy.duckdb
    """
    from ledger.storage.pg import safe_url
    from ledger.storage.replica import copy_ledger

    count = copy_ledger(src, dst)
    click.echo(f"copied {count:,} entries from {safe_url(src)} to {safe_url(dst)}")
