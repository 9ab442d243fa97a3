"""The commands that fix mistakes by adding entries: ``edit``, ``withdraw`` and ``merge``.

Each calls one function of :mod:`ledger.ingest.fixes`; a refusal is the library's named error,
printed in one line by the group (``ledger.faces.cli``).
"""

from __future__ import annotations

import click

from ledger.faces.cli import Context, pass_ctx

COMMANDS = ("edit", "withdraw", "merge")


@click.command()
@click.argument("qid", metavar="ID")
@click.option("--question", help="The new question text.")
@click.option("--criteria", help="The new resolution criteria.")
@click.option("--resolve-by", "resolve_by", metavar="DATE", help="The new resolve-by date.")
@click.option("--tags", metavar="TAGS", help="The new tags, comma-separated (\"\" for none).")
@click.option("--reason", help="Why the question changes (required).")
@click.option("--clarification", is_flag=True,
              help="A wording fix or a date put right: forecasts made before it are not "
                   "flagged as answering an older text.")
@pass_ctx
def edit(c: Context, qid: str, question: str | None, criteria: str | None,
         resolve_by: str | None, tags: str | None, reason: str | None,
         clarification: bool) -> None:
    """Edit a question: a new version; the earlier ones stay in history.

    Forecasts made before an edit that changes what the question asks are flagged as
    answering an older text, unless the edit is a --clarification. Moving the resolve-by date
    after forecasts were made is flagged as moved goalposts (show, verify --report).

    \b
    Example:
        forecast-ledger edit will-x-ship-by-may --question "Will X ship by May 2027?" \\
            --clarification --reason "typo in the year"
    """
    from ledger.ingest.fixes import edit_question

    tag_list = None if tags is None else [t for t in tags.replace(",", " ").split() if t]
    got = edit_question(c.ledger, qid, question=question, criteria=criteria,
                        resolve_by=resolve_by, tags=tag_list, reason=reason,
                        clarification=clarification)
    click.echo(f"edited {got['id']}: version {got['version']} ({', '.join(got['changed'])} "
               "changed)")
    if got["changes_meaning"]:
        click.echo("note: forecasts made before this edit are flagged as answering an older "
                   "text", err=True)


@click.command()
@click.argument("qid", metavar="ID")
@click.option("--forecaster", help="Whose forecast (default: you, --as); only your own.")
@click.option("--reason", help="Why you take it back (required).")
@pass_ctx
def withdraw(c: Context, qid: str, forecaster: str | None, reason: str | None) -> None:
    """Withdraw your latest forecast on a question: it stays in history, is never scored, and
    the one before it stands again. Not once the question is resolved.

    \b
    Example:
        forecast-ledger withdraw will-x-ship-by-may --reason "logged on the wrong question"
    """
    from ledger.format.probability import format_probability
    from ledger.ingest.fixes import withdraw_forecast

    got = withdraw_forecast(c.ledger, qid, by=c.forecaster, forecaster=forecaster,
                            reason=reason)
    w, left = got["withdrawn"], got["standing"]
    click.echo(f"withdrew {c.forecaster}'s forecast {format_probability(w['probability'])} "
               f"of {w['made_on']} on {got['id']}; "
               + (f"{format_probability(left['probability'])} of {left['made_on']} stands again"
                  if left else "no forecast of yours stands on it now"))


@click.command()
@click.argument("duplicate")
@click.argument("into", metavar="INTO")
@click.option("--reason", help="Why they are the same question (required).")
@pass_ctx
def merge(c: Context, duplicate: str, into: str, reason: str | None) -> None:
    """Merge question DUPLICATE into INTO: its forecasts count on INTO from now on, its id
    resolves to INTO everywhere, and it leaves every list. Not once either is resolved.

    \b
    Example:
        forecast-ledger merge will-x-ship-by-may-2 will-x-ship-by-may --reason "added twice"
    """
    from ledger.ingest.fixes import merge_questions

    got = merge_questions(c.ledger, duplicate, into, reason=reason)
    n = got["forecasts"]
    click.echo(f"merged {got['duplicate']} into {got['kept']}: {n} forecast"
               f"{'s' if n != 1 else ''} now count there")
