"""Importing forecast files: validate everything first, then append only what is new.

The import is planned against the ledger's current state and written in one transaction, so it
is all or nothing. Importing the same files again changes nothing; a forecast or resolution whose
recorded value differs from the file is a conflict (history is never rewritten); a question whose
text or criteria changed becomes a new version of that question.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ledger.errors import Problem, ValidationFailed
from ledger.format.yamlfile import ParsedFile, read_yaml
from ledger.ingest.plan import (  # noqa: F401  (the import's results, for callers)
    ACTIONS,
    Change,
    ImportResult,
    Progress,
    plan,
    write,
)
from ledger.storage.store import Ledger

# -- reading --------------------------------------------------------------------------------

def collect_paths(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Problem]]:
    """YAML files named, or found below the folders named (sorted, so imports are repeatable)."""
    found: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")
                           and p.is_file() and not any(part.startswith(".") for part in p.parts))
            if not files:
                problems.append(Problem(str(path), None, "",
                                        "no .yaml or .yml files in this folder"))
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(str(path), None, "", "no such file or folder"))
    return found, problems


def parse_files(paths: Sequence[Path], progress: Progress | None = None
                ) -> tuple[list[tuple[ParsedFile, Any]], list[Problem]]:
    """Read and validate each file against the models; problems of every file are gathered."""
    from pydantic import ValidationError

    from ledger.format.models import ForecastFile

    loaded: list[tuple[ParsedFile, Any]] = []
    problems: list[Problem] = []
    for n, path in enumerate(paths, 1):
        docs, found = read_yaml(path, display=_display(path))
        problems.extend(found)
        for parsed in docs:
            try:
                loaded.append((parsed, ForecastFile.model_validate(parsed.data)))
            except ValidationError as exc:
                problems.extend(model_problems(parsed, exc))
        if progress:
            progress("reading", n, len(paths))
    return loaded, problems


def _display(path: Path) -> str:
    # As the user typed it (a folder's files below the folder as typed): what they can open.
    return str(path)


def model_problems(parsed: ParsedFile, exc: Any) -> list[Problem]:
    """Pydantic's errors as ``file:line: field: message`` problems for people."""
    from ledger.format.yamlfile import suggest_key

    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
        kind, value = err["type"], err.get("input")
        if kind == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            msg = f"unknown key{suggest_key(str(loc[-1]), allowed)}"
            line = parsed.key_line(loc)
        else:
            line = parsed.line_of(loc)
            msg = _message(kind, err, value)
        out.append(Problem(parsed.path, line, name, msg))
    return out


def _message(kind: str, err: dict, value: Any) -> str:
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "missing (this field is required)"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    if kind == "literal_error":
        return f"{value!r} is not one of {ctx.get('expected', '').replace(chr(39), '')}"
    if kind == "string_too_long":
        return f"is {len(value)} characters long; at most {ctx['max_length']} are allowed"
    if kind == "string_too_short":
        if not value:
            return "is empty"
        return f"{value!r} is too short (at least {ctx['min_length']} characters)"
    if kind == "too_long":
        return f"has {ctx.get('actual_length')} items; at most {ctx.get('max_length')} are allowed"
    if kind in ("list_type", "dict_type", "model_type"):
        want = {"list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping"}[kind]
        return f"should be {want}, not {_show(value)}"
    if kind == "string_type":
        return f"should be text, not {_show(value)} (put it in quotes)"
    if kind in ("bool_type", "bool_parsing"):
        return f"should be true or false, not {_show(value)}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} may not contain spaces, commas or semicolons"
    return f"{err['msg']} (got {_show(value)})"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(loc: tuple) -> list[str]:
    from ledger.format import models

    model: Any = models.ForecastFile
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return []
        ann = info.annotation
        inner = getattr(ann, "__args__", None)
        candidates = [ann, *(inner or ())]
        for c in candidates:
            args = getattr(c, "__args__", None) or (c,)
            nxt = next((a for a in args if isinstance(a, type)
                        and issubclass(a, models.BaseModel)), None)
            if nxt:
                model = nxt
                break
    return list(model.model_fields)


def import_paths(ledger: Ledger, paths: Sequence[str | os.PathLike[str]], *,
                 dry_run: bool = False, progress: Progress | None = None) -> ImportResult:
    """Validate ``paths`` (files or folders) and append what is new, all or nothing."""
    # The parsed documents, models and planned entries hold millions of objects and every full
    # collection walks them all (measured, when node trees were kept too: 100k forecasts
    # import in 9.6 s with the collector paused, 13.9 s without); an import makes no
    # reference cycles worth collecting, so the collector waits.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _import_paths(ledger, paths, dry_run=dry_run, progress=progress)
    finally:
        if was_enabled:
            gc.enable()


def _import_paths(ledger: Ledger, paths: Sequence[str | os.PathLike[str]], *,
                  dry_run: bool, progress: Progress | None) -> ImportResult:
    files, problems = collect_paths(paths)
    loaded, more = parse_files(files, progress)
    problems += more
    if problems:
        raise ValidationFailed(problems)
    return import_loaded(ledger, loaded, dry_run=dry_run)


def import_loaded(ledger: Ledger, loaded: list[tuple[ParsedFile, Any]], *,
                  dry_run: bool = False) -> ImportResult:
    if dry_run:
        if not ledger.exists():
            result = plan(None, loaded)
        else:
            with ledger.connect() as con:
                result = plan(con, loaded)
        result.dry_run = True
        return result
    with ledger.transaction(create=True) as con:
        result = plan(con, loaded)
        write(con, result)
    return result
