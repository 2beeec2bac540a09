"""NAB realTweets: `listener detect`'s streaming detector, one configuration for every series, scored by
the provided NAB scorer (standard profile) and printed next to the published detectors.

The configuration is the shipped default (`DetectorSettings()`, `IncidentSettings()`: `resolve_after` 1h,
a one-day cooldown after an incident), or `--cooldown 0` / `--resolve-after 1d` / `--sustained mean` (no
CUSUM persistence test) / `--record off` (no burst record: every lone burst is news) to show their effect.
Alerts are what a PR team would receive: `incident.opened` and `incident.escalated`. Overfitting check:
the defaults were chosen on AAPL, CRM and FB ("dev"); AMZN and CVS ("held") were only scored; both are
printed.

Run: `.venv/bin/python bench/spikes_bench.py` (about 10 s).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "spikes"
sys.path.insert(0, str(ROOT))

from alerts.incidents import IncidentSettings  # noqa: E402
from alerts.series import detect_series  # noqa: E402
from alerts.spikes import DetectorSettings  # noqa: E402

DEV = ("Twitter_volume_AAPL", "Twitter_volume_CRM", "Twitter_volume_FB")
HELD = ("Twitter_volume_AMZN", "Twitter_volume_CVS")
PUBLISHED = {  # ../shared/data/spikes/README.md, their NAB-optimised thresholds
    "ARTime": (83.77, 16, 33), "earthgecko Skyline": (77.83, 16, 54), "CAD OSE": (76.01, 13, 1),
    "HTM Java": (70.06, 13, 22), "KNN CAD": (68.56, 15, 63), "Numenta HTM": (66.14, 12, 16),
    "Twitter ADVec": (66.02, 15, 71), "windowed Gaussian": (64.78, 15, 77), "Relative Entropy": (55.50, 10, 10),
    "random": (36.21, 11, 68),
}


def series_points(path: Path) -> list[tuple[datetime, float, str]]:
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    return [(datetime.strptime(t, "%Y-%m-%d %H:%M:%S"), float(v), t) for t, v in rows]


def run_detector(detector: DetectorSettings, incidents: IncidentSettings) -> dict[str, list[str]]:
    alerts = {}
    for path in sorted((DATA / "realTweets").glob("*.csv")):
        alerts[path.stem] = [a["timestamp"] for a in detect_series(series_points(path), detector, incidents)]
    return alerts


def load_scorer():
    spec = importlib.util.spec_from_file_location("nab_score", DATA / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def summary(agg: dict) -> dict:
    return {"score": round(agg["score"], 2), "windows": f"{agg['windows_detected']}/{agg['windows']}",
            "false_alarms": agg["false_alarms"], "false_alarm_episodes": agg["false_alarm_episodes"],
            "median_delay_min": agg["median_delay_from_window_start_min"],
            "median_delay_from_label_min": agg["median_delay_from_label_min"]}


def evaluate(detector: DetectorSettings, incidents: IncidentSettings) -> tuple[dict, dict, dict, float]:
    """(summary of all 16 windows, {"dev": ..., "held": ...} summaries, the alerts, detector seconds)."""
    started = time.perf_counter()
    alerts = run_detector(detector, incidents)
    seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        alerts_file, json_out = Path(tmp) / "alerts.json", Path(tmp) / "scores.json"
        alerts_file.write_text(json.dumps(alerts), encoding="utf-8")
        subprocess.run([sys.executable, str(DATA / "score.py"), "nab", "--alerts", str(alerts_file),
                        "--json-out", str(json_out)], check=True, capture_output=True)
        scored = json.loads(json_out.read_text(encoding="utf-8"))
    scorer = load_scorer()
    profile = scorer.PROFILES["standard"]
    per_file = scored["per_file"]
    splits = {split: summary(scorer.aggregate({n: per_file[n] for n in names}, profile))
              for split, names in (("dev", DEV), ("held", HELD))}
    return summary(scored["summary"]), splits, alerts, seconds


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resolve-after", choices=["1h", "1d"], default="1h")
    parser.add_argument("--cooldown", choices=["0", "12h", "1d", "1.5d"], default="1d")
    parser.add_argument("--sustained", choices=["cusum", "mean"], default="cusum",
                        help="mean: the 3-hour mean alone, without the CUSUM persistence test (the previous model)")
    parser.add_argument("--record", choices=["on", "off"], default="on",
                        help="off: no burst record, every lone burst is news (the model before issue-5 round 4)")
    args = parser.parse_args(argv)
    detector = DetectorSettings() if args.sustained == "cusum" else DetectorSettings(cusum_drift=-1e9)
    if args.record == "off":
        detector = replace(detector, record_relax_per_day=None)
    cooldown = {"0": 0, "12h": 43200, "1d": 86400, "1.5d": 129600}[args.cooldown]
    incidents = IncidentSettings(resolve_after_buckets=6 if args.resolve_after == "1h" else 144,
                                 cooldown_seconds=cooldown)
    ours, splits, alerts, seconds = evaluate(detector, incidents)
    best = max(PUBLISHED.items(), key=lambda kv: kv[1][0])
    out: list[dict] = [{"bench": "nab_realtweets", "detector": "listener", "resolve_after": args.resolve_after,
                        "cooldown": args.cooldown, "sustained": args.sustained, "record": args.record, **ours,
                        "alerts": sum(len(v) for v in alerts.values()), "seconds": round(seconds, 2),
                        "baseline": best[0], "baseline_score": best[1][0],
                        "ratio": round(ours["score"] / best[1][0], 3)}]
    for split, names in (("dev", DEV), ("held", HELD)):
        out.append({"bench": "nab_realtweets_split", "split": split, "series": list(names), **splits[split]})
    for name, (score, windows, false_alarms) in PUBLISHED.items():
        out.append({"bench": "nab_realtweets_published", "detector": name, "score": score,
                    "windows": f"{windows}/16", "false_alarms": false_alarms})
    for line in out:
        print(json.dumps(line, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
