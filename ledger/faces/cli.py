"""The ``forecast-ledger`` command: a thin face over the library.

Each command opens the ledger, calls one library function, and turns a named library error into
a one-line message saying what to do next (exit 1). Usage errors exit 2. Nothing here imports
pandas, streamlit or altair except ``dashboard``, so the CLI starts fast.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ledger import rules
from ledger.errors import LedgerError, ValidationFailed
from ledger.ingest.platforms import PLATFORMS  # the registry alone: no duckdb at --help

DEFAULT_DB = "ledger.duckdb"  # ledger.storage.store.DEFAULT_DB; not imported so --help skips duckdb


def _default_forecaster() -> str:
    import getpass
    import subprocess

    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True,
                              timeout=2).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name or getpass.getuser()


class Context:
    def __init__(self, db: str, forecaster: str | None) -> None:
        self.db = db
        self._forecaster = forecaster
        self._team: Any = None

    @property
    def team(self) -> bool:
        """Whether --db names a team ledger (a PostgreSQL URL): see ledger.storage.replica."""
        return self.db.startswith(("postgresql://", "postgres://"))

    @property
    def ledger(self) -> Any:
        if self.team:  # psycopg is imported only now
            from ledger.storage.replica import TeamLedger

            self._team = self._team or TeamLedger(self.db)
            return self._team
        from ledger.storage.store import Ledger

        return Ledger(self.db)

    @property
    def forecaster(self) -> str:
        if self.team:  # you are your database role; --as naming another is refused
            return self.ledger.check_writer(self._forecaster)
        if not self._forecaster:
            self._forecaster = _default_forecaster()
        return self._forecaster


def _set_global(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    # A global option given after the command: it overrides the one before it (or its env var
    # or default), which the group has already put in the Context.
    if value is not None:
        obj = ctx.find_object(Context)
        if obj is not None:
            setattr(obj, _GLOBAL_ATTRS[param.name or ""], value)


#: The group's options every command accepts after its name too: option -> Context attribute.
#: Their parameter names are their own (``global_as``, not ``forecaster``): click keys parsed
#: values by name, so a command's own ``--forecaster`` (``withdraw``) would otherwise set both.
_GLOBAL_ATTRS = {"global_db": "db", "global_as": "_forecaster"}


def _global_options() -> list[click.Option]:
    """``--db`` and ``--as`` for a command's own options (after its name). No env var and no
    default here: those the group's own options already applied, and a value given after the
    command must be the only thing that overrides them."""
    return [
        click.Option(["--db", "global_db"], metavar="PATH", expose_value=False,
                     callback=_set_global,
                     help="The ledger file, as before the command (env FORECAST_LEDGER_DB; "
                          f"default {DEFAULT_DB}); given in both places, this one counts."),
        click.Option(["--as", "global_as"], metavar="NAME", expose_value=False,
                     callback=_set_global,
                     help="Your forecaster name, as before the command (env "
                          "FORECAST_LEDGER_FORECASTER); given in both places, this one counts."),
    ]


class _Group(click.Group):
    """Turns library errors into one-line messages and exit code 1, never a traceback.

    Every command registered on it accepts the group's ``--db`` and ``--as`` after its name as
    well as before (``forecast-ledger forecast ID --p 0.6 --as alice``), with the same meaning;
    one given after the command overrides one given before. A command with an option of the
    same name (``demo --db``) keeps its own.
    """

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        taken = {opt for p in cmd.params for opt in p.opts}
        cmd.params.extend(o for o in _global_options() if not taken & set(o.opts))
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationFailed as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            n = len(exc.problems)
            click.echo(f"error: {n} problem{'s' if n != 1 else ''} found; nothing was written",
                       err=True)
            sys.exit(1)
        except LedgerError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(130)


pass_ctx = click.make_pass_decorator(Context)
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print machine-readable JSON on stdout (and nothing else).")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="FORECAST_LEDGER_DB", default=DEFAULT_DB, show_default=True,
              help="The ledger file (env FORECAST_LEDGER_DB).")
@click.option("--as", "forecaster", envvar="FORECAST_LEDGER_FORECASTER",
              help="Your forecaster name (env FORECAST_LEDGER_FORECASTER; "
                   "default: git config user.name, else your login).")
@click.version_option(package_name="forecast-ledger")
@click.pass_context
def cli(ctx: click.Context, db: str, forecaster: str | None) -> None:
    """A prediction-tracking ledger: forecasts as YAML, stored append-only in DuckDB.

    \b
    Example:
        forecast-ledger import forecasts/
        forecast-ledger list --status open
    """
    ctx.obj = Context(db, forecaster)


#: How each filter reads in a message: "no scored forecasts by 'alice' tagged 'x'".
_FILTER_WORDS = {"forecaster": "by {!r}", "tag": "tagged {!r}", "source": "from source {!r}",
                 "since": "resolved on or after {}", "until": "resolved on or before {}",
                 "status": "with status {}", "due_within": "due within {}"}
_VALUES_WORDS = {"forecaster": "forecasters", "tag": "tags", "source": "sources"}
NO_QUESTIONS = ("the ledger has no questions yet (forecast-ledger import forecasts/, or "
                "forecast-ledger add)")


def explain_empty(con: Any, what: str, words: dict[str, str] | None = None,
                  **given: Any) -> str | None:
    """Why a read filtered by ``given`` found no ``what``, for a command to print.

    A filter naming a value the ledger does not hold is a mistake to fix: it exits 1 with the
    values there are ("no scored forecasts by 'nobody'; forecasters are: alice, bob"). Known
    filters that match nothing together, and an empty ledger, return their message; with no
    filter given it returns None (the command says "nothing resolved yet" its own way).
    """
    from ledger.reports.facets import shown_values, why_empty

    words = {**_FILTER_WORDS, **(words or {})}
    why = why_empty(con, **given)
    if why.no_questions:
        return NO_QUESTIONS
    if why.unknown is not None:
        u = why.unknown
        click.echo(f"error: no {what} {words[u.filter].format(u.value)}; "
                   f"{_VALUES_WORDS[u.filter]} are: {shown_values(u)}", err=True)
        sys.exit(1)
    if why.filtered:
        return f"no {what} " + " ".join(words[k].format(v) for k, v in given.items()
                                        if v not in (None, "", ()))
    return None


def _progress(stage: str, n: int, total: int) -> None:
    # Files are read one by one (a line every 2%); a bulk import hashes entries in batches of
    # about 262k, each worth a line.
    reading = stage == "reading"
    if total == 0:  # a stage begins (a bulk import's staging, checks, writing, commit)
        click.echo(f"{stage} ...", err=True)
        return
    if total >= 20 and (not reading or n == total or n % max(total // 50, 1) == 0):
        click.echo(f"\r{stage} {n:,}/{total:,} {'files' if reading else 'entries'}", err=True,
                   nl=False)
        if n == total:
            click.echo("", err=True)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--dry-run", is_flag=True,
              help="Validate and print what would change; write nothing.")
@click.option("--from", "platform", type=click.Choice(PLATFORMS),
              help="Read exports of another platform (see README: Bring your history).")
@json_option
@pass_ctx
def import_(c: Context, paths: tuple[str, ...], dry_run: bool, as_json: bool,
            platform: str | None) -> None:
    """Import YAML forecast files or folders, or CSV/Parquet tables; all or nothing.

    Everything is validated first: on any problem, every problem is printed as
    file:line: field: message and nothing is written. Importing the same files again
    changes nothing. CSV and Parquet hold one forecast a row, with the columns of
    `export --format csv`, for millions of forecasts.

    \b
    Example:
        forecast-ledger import forecasts/
        forecast-ledger import --dry-run forecasts/new-article.yaml
        forecast-ledger import platform-export.parquet
        forecast-ledger import --from gjp ifps.csv survey_fcasts.yr1.csv
    """
    if platform:
        from ledger.ingest.platforms.common import import_platform

        done = import_platform(c.ledger, platform, list(paths), forecaster=c.forecaster,
                               dry_run=dry_run, progress=_progress
                               if sys.stderr.isatty() and not as_json else None)
        if as_json:
            from ledger.reports.render import to_json

            click.echo(to_json(done.as_dict()))
        else:
            click.echo(done.summary())
        return
    from ledger.ingest.bulk import import_tables, is_table
    from ledger.ingest.importer import import_paths

    progress = _progress if sys.stderr.isatty() and not as_json else None
    tables = [p for p in paths if is_table(p)]
    if tables and len(tables) != len(paths):
        raise click.UsageError("import YAML files and CSV/Parquet tables in separate commands")
    if tables:
        from pathlib import Path

        missing = [t for t in tables if not Path(t).is_file()]
        if missing:
            raise click.BadParameter(f"no such file: {missing[0]}", param_hint="PATHS")
        result = import_tables(c.ledger, [Path(t) for t in tables], dry_run=dry_run,
                               progress=progress)
    else:
        result = import_paths(c.ledger, paths, dry_run=dry_run, progress=progress)
    if as_json:
        from ledger.reports.render import to_json

        click.echo(to_json({"files": result.files, "dry_run": dry_run, "counts": result.counts(),
                            "changes": [ch.as_dict() for ch in result.changes]}))
        return
    if dry_run:
        for ch in result.changes:
            if ch.where:  # tables are planned in SQL, row by row counts only
                click.echo(f"{ch.where}: would add {ch.action} {ch.subject}")
    click.echo(result.summary())


@cli.command()
@click.argument("question")
@click.option("--by", "resolve_by", required=True, metavar="DATE",
              help="Resolve-by date, YYYY-MM-DD.")
@click.option("--p", "probability", metavar="P",
              help='Your probability: 0.7, "70%", "3:1" or "1 in 20".')
@click.option("--criteria", help="How it resolves, precisely enough for a third party.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for several).")
@click.option("--source", help="Id of a source already in the ledger.")
@click.option("--id", "qid", help="The question's id (default: made from its text).")
@click.option("--note", help="Your rationale for the forecast.")
@click.option("--blind", is_flag=True, help="Hide others' forecasts until they log their own.")
@click.option("--opened", metavar="DATE", help="When the question was opened (default today).")
@click.option("--allow-duplicate", is_flag=True,
              help="Add it even when a question with the same or nearly the same text exists.")
@pass_ctx
def add(c: Context, question: str, resolve_by: str, probability: str | None,
        criteria: str | None, tags: tuple[str, ...], source: str | None, qid: str | None,
        note: str | None, blind: bool, opened: str | None, allow_duplicate: bool) -> None:
    """Add a question, optionally with your first forecast.

    A question with the same or nearly the same text as one in the ledger is refused, naming
    it, unless --allow-duplicate. The id is made from the text (cut at a word) unless --id;
    when it is taken, -2 is added and said.

    \b
    Example:
        forecast-ledger add "Will the Q3 report cite AI-assisted pretraining?" \\
            --p 30% --by 2027-05-21 --criteria "Yes if ..." --tag anthropic
    """
    from ledger.ingest.actions import add_question, slugify

    def warn(found: list[tuple[str, str]]) -> None:
        names = ", ".join(repr(qid) for qid, _ in found)
        click.echo(f"warning: the ledger already holds a question with the same or nearly the "
                   f"same text: {names}", err=True)

    new_id = add_question(c.ledger, question, resolve_by=resolve_by, probability=probability,
                          criteria=criteria, tags=tags, source=source, qid=qid,
                          forecaster=c.forecaster, rationale=note, blind=blind, opened=opened,
                          allow_similar=allow_duplicate, on_similar=warn)
    if not qid and new_id != slugify(question):
        click.echo(f"note: the id {slugify(question)!r} is taken, so this question is "
                   f"{new_id!r}", err=True)
    click.echo(f"added {new_id}" + (f" with {c.forecaster}'s forecast {probability}"
                                    if probability else ""))
    if not criteria:
        click.echo("hint: add resolution criteria a third party could check "
                   "(they default to the question's text)", err=True)


@cli.command()
@click.argument("qid", metavar="ID")
@click.option("--p", "probability", required=True, metavar="P",
              help='Your probability: 0.6, "60%", "3:2" or "1 in 20".')
@click.option("--note", help="Your rationale.")
@click.option("--at", "made_at", metavar="WHEN",
              help="When you made it, if not now: 2027-05-21 or 2027-05-21T18:30-07:00.")
@pass_ctx
def forecast(c: Context, qid: str, probability: str, note: str | None,
             made_at: str | None) -> None:
    """Log a new or updated forecast on a question.

    \b
    Example:
        forecast-ledger forecast will-x-ship-by-may --p 0.6 --note "new evidence"
    """
    from ledger.format.probability import format_probability
    from ledger.ingest.actions import add_forecast

    got = add_forecast(c.ledger, qid, probability, forecaster=c.forecaster, made_at=made_at,
                       rationale=note)
    # got["id"] is the question written to: the kept one, for a merged duplicate's id
    click.echo(f"logged {c.forecaster}'s forecast {format_probability(got['probability'])} "
               f"on {got['id']} ({got['made_on']})")
    if got["late"]:
        click.echo("note: the question has resolved; this forecast is kept, flagged late, "
                   "and never scored", err=True)


@cli.command()
@click.argument("qid", metavar="ID")
@click.argument("outcome", type=click.Choice(rules.OUTCOMES,
                                             case_sensitive=False))
@click.option("--on", "resolved_on", metavar="DATE",
              help="When the event resolved (default today), YYYY-MM-DD.")
@click.option("--evidence", metavar="URL", help="A link to the evidence.")
@click.option("--note", help="What the evidence says.")
@click.option("--correct", is_flag=True, help="Correct the current resolution (needs --reason).")
@click.option("--reason", help="Why the correction.")
@pass_ctx
def resolve(c: Context, qid: str, outcome: str, resolved_on: str | None, evidence: str | None,
            note: str | None, correct: bool, reason: str | None) -> None:
    """Resolve a question: yes, no, ambiguous (facts cannot settle it) or annulled.

    Ambiguous and annulled questions are never scored. A correction is a new entry; the old
    resolution stays in history.

    \b
    Example:
        forecast-ledger resolve will-x-ship-by-may no --evidence https://example.org/news
        forecast-ledger resolve will-x-ship-by-may yes --correct --reason "shipped late May"
    """
    from ledger.ingest.actions import resolve as resolve_question

    got = resolve_question(c.ledger, qid, outcome.lower(), resolved_by=c.forecaster,
                           resolved_on=resolved_on, evidence=evidence, note=note,
                           correct=correct, reason=reason)
    verb = "corrected" if correct else "resolved"
    click.echo(f"{verb} {got['id']}: {got['outcome']} on {got['resolved_on']}")


@cli.command("list")
@click.option("--status", type=click.Choice(rules.STATUSES))
@click.option("--due-within", metavar="DURATION",
              help="Unresolved questions due within 30d, 2w, 3m (overdue included).")
@click.option("--tag")
@click.option("--forecaster", help="Questions this forecaster has forecast.")
@click.option("--source", help="Questions from this source id.")
@json_option
@pass_ctx
def list_(c: Context, status: str | None, due_within: str | None, tag: str | None,
          forecaster: str | None, source: str | None, as_json: bool) -> None:
    """List questions by resolve-by date, with status and latest forecasts.

    \b
    Example:
        forecast-ledger list --status open --due-within 30d
        forecast-ledger list --tag anthropic --json
    """
    from ledger.format.dates import parse_duration
    from ledger.reports.queries import list_questions
    from ledger.reports.render import days_text, forecasts_text, table, to_json

    try:
        days = parse_duration(due_within) if due_within is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--due-within") from None
    with c.ledger.connect() as con:
        found = list_questions(con, status=status, due_within=days, tag=tag,
                               forecaster=forecaster, source=source, viewer=c.forecaster)
        empty = None if found or as_json else explain_empty(
            con, "questions", {"forecaster": "forecast by {!r}"}, status=status,
            due_within=due_within, forecaster=forecaster, tag=tag, source=source)
    if as_json:
        click.echo(to_json(found))
        return
    if not found:
        click.echo(empty or NO_QUESTIONS)
        return
    click.echo(table(
        ["id", "status", "resolve by", "when", "latest forecasts", "tags"],
        [[q["id"], q["status"] if q["status"] != "resolved" else f"resolved {q['outcome']}",
          q["resolve_by"], days_text(q["status"], q["days_left"]),
          forecasts_text(q["forecasts"]) or "no forecast yet", q["tags"]] for q in found]))


@cli.command()
@click.argument("qid", metavar="ID")
@json_option
@pass_ctx
def show(c: Context, qid: str, as_json: bool) -> None:
    """Show a question: source, criteria, forecast and resolution history.

    \b
    Example:
        forecast-ledger show anthropic-paper-cites-claude-accelerated-pretraining
    """
    from ledger.reports.platform_scores import comparison_text, platform_comparison
    from ledger.reports.queries import question_detail
    from ledger.reports.render import to_json

    with c.ledger.connect() as con:
        q = question_detail(con, qid, viewer=c.forecaster)
        theirs = platform_comparison(con, qid)  # a platform's own score, e.g. Fatebook's
    if as_json:
        click.echo(to_json({**q, "platform_score": theirs} if theirs else q))
        return
    from ledger.reports.showtext import show_text

    click.echo(show_text(q) + (f"\n\n{comparison_text(theirs)}" if theirs else ""))


# Commands kept in modules of their own, registered here (they import this module's group
# helpers, so they come last).
from ledger.faces import cli_fix, cli_reports, cli_team  # noqa: E402
from ledger.faces.cli_draft import draft  # noqa: E402

for _command in (draft, *(getattr(cli_reports, n) for n in cli_reports.COMMANDS),
                 *(getattr(cli_fix, n) for n in cli_fix.COMMANDS),
                 *(getattr(cli_team, n) for n in cli_team.COMMANDS)):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="forecast-ledger")


if __name__ == "__main__":  # pragma: no cover
    main()

