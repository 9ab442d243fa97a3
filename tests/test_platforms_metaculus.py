"""Metaculus import from JSON in the shape its API returns for posts with my_forecasts:
binary questions imported as the --as forecaster, other types counted as skipped, annulled
kept; a second import adds nothing; a forecast without values refuses with file:line."""

from __future__ import annotations

import json

from conftest import snapshot, write


def post(pid, qtype="binary", resolution=None, history=(), title="Will the rocket launch?"):
    return {"id": pid, "title": title, "slug": "x", "question": {
        "id": pid + 1000, "title": title, "type": qtype, "description": "About it",
        "resolution_criteria": "Yes if it launches.", "fine_print": "Official sources.",
        "created_at": "2024-01-01T00:00:00Z", "open_time": "2024-01-02T00:00:00Z",
        "scheduled_close_time": "2024-05-01T00:00:00Z",
        "scheduled_resolve_time": "2024-06-01T00:00:00Z",
        "actual_resolve_time": "2024-05-20T00:00:00Z" if resolution else None,
        "resolution_set_time": "2024-05-20T12:00:00Z" if resolution else None,
        "resolution": resolution,
        "my_forecasts": {"history": [{"start_time": t, "end_time": None,
                                      "forecast_values": v} for t, v in history]},
        "aggregations": {"recency_weighted": {"history": [], "latest": None}}}}


def api_json(posts) -> str:
    return json.dumps({"count": len(posts), "next": None, "previous": None, "results": posts},
                      indent=2)


POSTS = [
    post(1, resolution="yes", history=[(1704153600.0, [0.4, 0.6]), (1704240000, [0.2, 0.8])]),
    post(2, resolution="annulled", history=[(1704153600.0, [0.5, 0.5])],
         title="Will the premise hold?"),
    post(3, qtype="numeric", history=[(1704153600.0, None)], title="How many launches?"),
    post(4, history=[(1704153600.0, [0.9, 0.1])], title="Will it stay unresolved?"),
]


def test_metaculus_api_json_imports_binary_questions_then_adds_nothing(run, db, tmp_path):
    path = write(tmp_path / "metaculus.json", api_json(POSTS))
    done = run("import", "--from", "metaculus", str(path), forecaster="me")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Metaculus: 1 file read; added 1 new source, 3 new questions, 4 new forecasts, "
        "2 new resolutions",
        "  4 forecasts from my_forecasts logged as me (--as)",
        "  1 annulled question imported as annulled",
        "  1 numeric question skipped: not supported yet",
    ]
    shown = {x["id"]: x for x in run.json("list")}
    assert set(shown) == {"metaculus-1001", "metaculus-1002", "metaculus-1004"}
    assert shown["metaculus-1002"]["status"] == "annulled"
    scored = run.json("score")["overall"]
    assert scored["n"] == 1 and abs(scored["brier"] - (0.8 - 1) ** 2) < 1e-12
    before = snapshot(db)
    again = run("import", "--from", "metaculus", str(path), forecaster="me")
    assert again.exit_code == 0 and "nothing changed" in again.stdout.splitlines()[0]
    assert snapshot(db) == before


def test_metaculus_forecast_without_values_names_the_posts_line(run, db, tmp_path):
    bad = [post(7, history=[(1704153600.0, None)])]
    text = api_json(bad)
    path = write(tmp_path / "m.json", text)
    line = text.splitlines().index('    {') + 2  # the post's "id" line
    done = run("import", "--from", "metaculus", str(path))
    assert done.exit_code == 1
    assert done.stderr.splitlines() == [
        f"{path}:{line}: my_forecasts: a forecast on question 1007 has no start_time or "
        "forecast_values", "error: 1 problem found; nothing was written"]
    assert snapshot(db) == "<no ledger file>"


def test_metaculus_file_that_is_not_json_is_refused(run, tmp_path):
    path = write(tmp_path / "m.json", "{\n  nope")
    done = run("import", "--from", "metaculus", str(path))
    assert done.exit_code == 1 and done.stderr.startswith(f"{path}:2: not JSON")


def test_metaculus_group_of_questions_imports_each_binary_one(run, tmp_path):
    group = {"id": 50, "title": "Who will win the 2028 race?", "group_of_questions": {
        "questions": [
            {**post(0, resolution="no", history=[(1704153600.0, [0.7, 0.3])])["question"],
             "id": 501, "label": "Candidate A", "title": "Candidate A"},
            {**post(0, qtype="multiple_choice")["question"], "id": 502, "title": "Others"},
        ]}}
    path = write(tmp_path / "group.json", api_json([group]))
    done = run("import", "--from", "metaculus", str(path), forecaster="me")
    assert done.exit_code == 0, done.stderr
    assert "  1 multiple-choice question skipped: not supported yet" in done.stdout.splitlines()
    shown = run.json("list")
    assert [(x["id"], x["question"], x["outcome"]) for x in shown] == [
        ("metaculus-501", "Who will win the 2028 race?: Candidate A", "no")]
