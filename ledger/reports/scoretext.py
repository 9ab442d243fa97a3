"""The human text of ``forecast-ledger score`` and ``calibration``."""

from __future__ import annotations

from typing import Any

from ledger.reports.render import table


def _f(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def score_text(report: dict[str, Any]) -> str:
    o = report["overall"]
    if not o or not o.get("n"):
        return ("nothing to score yet: scores appear once questions resolve yes or no "
                "(forecast-ledger resolve ID yes|no)")
    lines = [
        f"mode {report['mode']}: {o['n']} forecaster-question pairs on {o['n_questions']} "
        "questions",
        f"Brier {_f(o['brier'])} (0 best, 1 worst; always-50% scores 0.250)",
        f"log score {_f(o['log_score'])} nats (lower is better; always-50% scores 0.693)"
        + (f", {o['log_clipped']} forecasts of 0 or 1 clipped" if o.get("log_clipped") else ""),
        f"skill vs base rate {_f(o['brier_skill'])}, vs always-50% {_f(o['brier_skill_vs_50'])}"
        + (f", vs reference forecasts {_f(o['brier_skill_vs_reference'])} "
           f"(n={o['n_reference']})" if o.get("brier_skill_vs_reference") is not None else "")
        + " (higher is better; 0 = no better than the yardstick)",
    ]
    if o.get("relative") is not None:
        lines.append(f"relative to the others' median {_f(o['relative'])} "
                     "(negative = better than the crowd)")
    groups = report.get("groups") or []
    if groups:
        has_rel = any("relative" in g for g in groups)
        headers = [report["by"], "n", "questions", "brier", "log", "skill", "vs 50%"]
        if has_rel:
            headers.append("relative")
        rows = []
        for g in groups:
            row = [g["group"], g["n"], g["n_questions"], _f(g["brier"]), _f(g["log_score"]),
                   _f(g["brier_skill"]), _f(g["brier_skill_vs_50"])]
            if has_rel:
                row.append(_f(g.get("relative")))
            rows.append(row)
        lines += ["", table(headers, rows)]
    return "\n".join(lines)


def calibration_text(report: dict[str, Any]) -> str:
    if not report.get("n"):
        return ("no resolved forecasts yet: calibration appears once questions resolve yes or no "
                "(or try `forecast-ledger demo`)")
    bins = report["bins"]
    rows = []
    for i, b in enumerate(bins):
        close = "]" if i == len(bins) - 1 else ")"
        rows.append([f"[{b['lower']:.3f}, {b['upper']:.3f}{close}", b["count"],
                     _f(b["mean_forecast"]), _f(b["observed_frequency"]),
                     f"{_f(b['wilson_low'])} - {_f(b['wilson_high'])}"])
    lines = [f"{report['n']} forecaster-question pairs, mode {report['mode']}, "
             f"strategy {report['strategy']}",
             table(["bin", "n", "mean forecast", "observed", "95% interval"], rows)]
    m, c = report.get("murphy"), report.get("corp")
    if m:
        lines += ["", f"Murphy: Brier {_f(m['brier'], 4)} = reliability {_f(m['reliability'], 4)}"
                      f" - resolution {_f(m['resolution'], 4)} + uncertainty "
                      f"{_f(m['uncertainty'], 4)} + within-bin "
                      f"{_f(m['within_bin_variance'] - m['within_bin_covariance'], 4)}",
                  "  reliability: how far outcomes sit from your stated probabilities "
                  "(0 is perfect)",
                  "  resolution: how much your forecasts separate what happens from what does "
                  "not (higher is better)"]
    if c:
        lines += [f"CORP: Brier {_f(c['brier'], 4)} = MCB {_f(c['mcb'], 4)} - DSC "
                  f"{_f(c['dsc'], 4)} + UNC {_f(c['unc'], 4)}",
                  "  MCB: miscalibration after optimal isotonic recalibration (0 is perfect); "
                  "DSC: discrimination; UNC: the uncertainty of the outcomes themselves"]
    return "\n".join(lines)
