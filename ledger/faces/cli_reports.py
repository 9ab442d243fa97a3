"""The commands that read the ledger out: export, verify and witness, score and calibration,
and the schema, dashboard and demo commands. Registered on the group in
:mod:`ledger.faces.cli`; like every command, each calls one library function.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ledger import rules
from ledger.faces.cli import NO_QUESTIONS, Context, explain_empty, json_option, pass_ctx

COMMANDS = ("export", "verify", "witness", "score", "calibration", "schema", "dashboard", "demo")

@click.command()
@click.option("--format", "fmt", type=click.Choice(rules.EXPORT_FORMATS),
              default="yaml", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file (default stdout).")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@click.option("--reveal-blind", is_flag=True,
              help="Include others' forecasts on blind questions you have not forecast "
                   "(a full backup); without it they are withheld, as in list and show.")
@pass_ctx
def export(c: Context, fmt: str, out: str | None, force: bool, reveal_blind: bool) -> None:
    """Export the ledger: yaml (re-imports identically), json, csv, parquet or ics.

    \b
    Example:
        forecast-ledger export --reveal-blind --out backup.yaml
        forecast-ledger export --format ics --out resolve-by.ics
    """
    from ledger.reports.export import export as do_export

    with c.ledger.connect() as con:
        done = do_export(con, fmt, out, force=force, viewer=c.forecaster,
                         reveal_blind=reveal_blind)
    text = done.text
    if done.withheld:
        n = done.withheld
        click.echo(f"withheld {n} forecast{'s' if n != 1 else ''} by others on blind questions "
                   f"{c.forecaster} has not forecast; add --reveal-blind for a full backup",
                   err=True)
    if text is not None:
        # bytes as produced: ICS needs its CRLF line ends kept
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
    else:
        click.echo(f"wrote {out}", err=True)


@click.command()
@click.option("--expect-head", metavar="HASH",
              help="Fail unless the head is this hash (one kept from an earlier verify).")
@click.option("--witness", "witness_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Check every head in this witness file is still on the chain "
                   "(default: LEDGER.witness beside the ledger, when it exists).")
@click.option("--report", is_flag=True,
              help="Then list the fixes a reader of the scores should know: moved goalposts, "
                   "withdrawn forecasts, merged duplicates.")
@json_option
@pass_ctx
def verify(c: Context, expect_head: str | None, witness_file: str | None, report: bool,
           as_json: bool) -> None:
    """Check that history was not rewritten: the catalog, the hash chain and the tables.

    Exits 1 and names the first bad entry if anything was changed, deleted or reordered
    outside forecast-ledger, or the first table, view, macro or meta row it did not create.
    A chain recomputed from scratch or cut at the end is caught only against a head kept
    elsewhere: pass --expect-head, or keep a witness file (see `forecast-ledger witness`);
    LEDGER.witness beside the ledger is checked whenever it exists.

    \b
    Example:
        forecast-ledger verify
        forecast-ledger verify --witness ledger.duckdb.witness
    """
    from ledger.errors import CatalogChanged, TamperDetected, WitnessMismatch
    from ledger.reports.render import to_json

    try:
        count, head = c.ledger.verify(expect_head=expect_head, witness=witness_file)
    except TamperDetected as exc:
        if as_json:
            click.echo(to_json({"ok": False, "first_bad_entry": exc.bad.seq,
                                "kind": exc.bad.kind, "subject": exc.bad.subject,
                                "reason": exc.bad.reason, "problems": exc.total_bad}))
            sys.exit(1)
        raise
    except (CatalogChanged, WitnessMismatch) as exc:
        if as_json:
            problems = exc.problems if isinstance(exc, CatalogChanged) else [exc.args[0]]
            click.echo(to_json({"ok": False, "reason": problems[0], "problems": problems}))
            sys.exit(1)
        raise
    found = None
    if report:
        from ledger.reports.integrity import fixes_report, fixes_text

        with c.ledger.connect() as con:
            found = fixes_report(con)
    if as_json:
        click.echo(to_json({"ok": True, "entries": count, "head": head,
                            **({"report": found} if found is not None else {})}))
    else:
        click.echo(f"ok: {count} entries, hash chain intact; head {head}")
        if found is not None:
            click.echo(fixes_text(found))


@click.command()
@click.option("--file", "file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The witness file to append to (default: LEDGER.witness beside the ledger).")
@pass_ctx
def witness(c: Context, file: str | None) -> None:
    """Verify, then append "ENTRY HEAD UTC-TIME" to a witness file.

    Commit the witness file to git, or send it somewhere the ledger's writers cannot change;
    `forecast-ledger verify` then checks every head in it is still on the chain, which
    catches a history recomputed from scratch or cut at the end.

    \b
    Example:
        forecast-ledger witness
        forecast-ledger witness --file ~/notes/ledger.witness
    """
    from ledger.storage.verify import witness as add_witness

    seq, head, target = add_witness(c.ledger, file)
    click.echo(f"witnessed entry #{seq}, head {head}, in {target}")


_MODES = click.Choice(rules.MODES)


def _filters(f: Any) -> Any:
    f = click.option("--forecaster", help="Only this forecaster's forecasts.")(f)
    f = click.option("--tag", help="Only questions with this tag.")(f)
    f = click.option("--source", help="Only questions from this source id.")(f)
    f = click.option("--since", metavar="DATE", help="Resolved on or after this date.")(f)
    f = click.option("--until", metavar="DATE", help="Resolved on or before this date.")(f)
    return click.option("--mode", type=_MODES, default="final", show_default=True,
                        help="Which forecasts count: each forecaster's final one before the "
                             "outcome, their first, or every day's standing forecast.")(f)


@click.command()
@click.option("--by", type=click.Choice(rules.GROUPINGS),
              help="Group the scores.")
@click.option("--rule", type=click.Choice(rules.SCORE_RULES), default="brier", show_default=True,
              help="The headline score, and the one relative scores compare.")
@_filters
@json_option
@pass_ctx
def score(c: Context, by: str | None, rule: str, mode: str, forecaster: str | None,
          tag: str | None, source: str | None, since: str | None, until: str | None,
          as_json: bool) -> None:
    """Score resolved questions: Brier, log score and skill, overall and by group.

    Brier runs from 0 (best) to 1 (worst); the log score is in nats (lower is better); skill
    is 1 - Brier / Brier of a yardstick (higher is better). Ambiguous and annulled questions
    and late forecasts are never scored. See docs/scoring.md.

    \b
    Example:
        forecast-ledger score --by forecaster
        forecast-ledger score --mode time-averaged --json
    """
    from ledger.reports.scoretext import score_text
    from ledger.scoring.report import score_report

    with c.ledger.connect() as con:
        report = score_report(con, by=by, rule=rule, mode=mode, forecaster=forecaster, tag=tag,
                              source=source, since=since, until=until)
        empty = None if report["overall"].get("n") or as_json else explain_empty(
            con, "scored forecasts", forecaster=forecaster, tag=tag, source=source,
            since=since, until=until)
    if empty:
        click.echo(f"{empty}; only forecasts on questions resolved yes or no are scored"
                   if empty != NO_QUESTIONS else empty)
    elif as_json:
        from ledger.reports.render import to_json

        click.echo(to_json(report))
    else:
        click.echo(score_text(report))


@click.command()
@click.option("--bins", "n_bins", default=10, show_default=True, type=click.IntRange(1, 100),
              help="Number of bins.")
@click.option("--strategy", type=click.Choice(rules.CALIBRATION_STRATEGIES),
              default="uniform", show_default=True,
              help="Equal-width bins, equal-count bins, or CORP's isotonic blocks.")
@_filters
@json_option
@pass_ctx
def calibration(c: Context, n_bins: int, strategy: str, mode: str, forecaster: str | None,
                tag: str | None, source: str | None, since: str | None, until: str | None,
                as_json: bool) -> None:
    """Calibration: how often things you gave p happened, per bin, with decompositions.

    Each bin shows its forecasts' mean and the observed frequency with a 95% Wilson interval;
    bins are half-open [a, b), the last one closed. The Murphy and CORP decompositions split
    the Brier score into miscalibration, discrimination and uncertainty.

    \b
    Example:
        forecast-ledger calibration --bins 10 --strategy quantile
        forecast-ledger calibration --forecaster alice --json
    """
    from ledger.reports.scoretext import calibration_text
    from ledger.scoring.report import calibration_report

    with c.ledger.connect() as con:
        report = calibration_report(con, n_bins=n_bins, strategy=strategy, mode=mode,
                                    forecaster=forecaster, tag=tag, source=source, since=since,
                                    until=until)
        empty = None if report.get("n") or as_json else explain_empty(
            con, "scored forecasts", forecaster=forecaster, tag=tag, source=source,
            since=since, until=until)
    if empty:
        click.echo(f"{empty}; calibration counts only forecasts on questions resolved yes or "
                   "no" if empty != NO_QUESTIONS else empty)
    elif as_json:
        from ledger.reports.render import to_json

        click.echo(to_json(report))
    else:
        click.echo(calibration_text(report))


@click.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file (default stdout).")
def schema(out: str | None) -> None:
    """Print the JSON Schema of forecast files (for editors' YAML language server).

    \b
    Example:
        forecast-ledger schema --out docs/forecast-file.schema.json
    """
    import json

    from ledger.format.models import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)


@click.command()
@click.option("--port", default=8501, show_default=True, help="Port to serve on.")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Address to bind; the default keeps the dashboard on this machine.")
@click.option("--headless", is_flag=True, help="Do not open a browser.")
@pass_ctx
def dashboard(c: Context, port: int, address: str, headless: bool) -> None:
    """Open the Streamlit dashboard on the ledger (http://127.0.0.1:8501).

    The dashboard and the CLI can be used at the same time on one ledger file.

    \b
    Example:
        forecast-ledger dashboard --port 8502
        forecast-ledger --db demo.duckdb dashboard
    """
    from ledger.faces.serve import run_dashboard

    if not c.ledger.exists():
        click.echo(f"note: no ledger at {c.ledger.path} yet; the dashboard will say how to "
                   "start one", err=True)
    click.echo(f"serving {c.ledger.path} on http://{address}:{port} (Ctrl+C to stop)", err=True)
    sys.exit(run_dashboard(str(c.ledger.path), port=port, address=address, headless=headless,
                           forecaster=c.forecaster))


@click.command()
@click.option("--db", "demo_db", default="demo.duckdb", show_default=True,
              help="Where to build the demo ledger (never your real one).")
@click.option("--seed", default=7, show_default=True, help="Random seed of the synthetic history.")
@click.option("--force", is_flag=True, help="Replace an existing demo ledger.")
def demo(demo_db: str, seed: int, force: bool) -> None:
    """Build a separate demo ledger with a synthetic history (labelled synthetic everywhere).

    \b
    Example:
        forecast-ledger demo && forecast-ledger --db demo.duckdb dashboard
    """
    from ledger.ingest.demo import build_demo

    summary = build_demo(demo_db, seed=seed, force=force)
    click.echo(f"built synthetic demo ledger {demo_db}: {summary}")
    click.echo(f"open it with: forecast-ledger --db {demo_db} dashboard")
