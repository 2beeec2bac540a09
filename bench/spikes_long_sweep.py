"""Sweep of the optional long-horizon test (`DetectorSettings.long_*`) on NAB realTweets (issue 5, H5d).

Every setting goes end to end through `bench/spikes_bench.evaluate` (the shipped incident settings, the NAB
standard-profile scorer) and prints one JSON line: the setting, then score / windows / false-alarm rows for
all 16 windows, dev (AAPL, CRM, FB) and held (AMZN, CVS). Choose on dev only; held is reported.

Run: `nice .venv/bin/python bench/spikes_long_sweep.py [--kind ewma|cusum|both]` (about 2 s a setting).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from spikes_bench import evaluate

from alerts.incidents import IncidentSettings
from alerts.spikes import DetectorSettings

EWMA = {"hours": (3, 4, 6, 8, 12, 24), "clip": (1.5, 2.0, 3.0, 4.5),
        "bar": (0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5)}
SCALED = {"hours": (6, 12, 24), "clip": (1.5, 3.0), "bar": (2.5, 3.0, 3.5, 4.0, 4.5, 5.0)}
FINE = {"hours": (16, 20, 24, 30, 36), "clip": (1.25, 1.5, 1.75, 2.0),  # around the one 16/16 region
        "bar": (0.44, 0.46, 0.48, 0.5, 0.52, 0.54, 0.56, 0.58)}
LEARNS = {"hours": (16, 24, 30), "clip": (1.5, 2.0), "bar": tuple(round(0.4 + 0.02 * i, 2) for i in range(11))}
CUSUM = {"drift": (0.25, 0.5, 0.75, 1.0), "clip": (2.0, 3.0), "bar": (15, 20, 30, 40, 60, 80, 120)}


def settings_grid(kind: str):
    if kind in ("ewma", "both"):
        for hours, clip, bar in itertools.product(*EWMA.values()):
            yield {"kind": "ewma", "hours": hours, "clip": clip, "bar": bar}
    if kind == "learns":  # buckets paged by the long test alone learned at the full rate
        for hours, clip, bar in itertools.product(*LEARNS.values()):
            yield {"kind": "ewma", "hours": hours, "clip": clip, "bar": bar, "learns": True}
    if kind == "fine":
        for hours, clip, bar in itertools.product(*FINE.values()):
            yield {"kind": "ewma", "hours": hours, "clip": clip, "bar": bar}
    if kind in ("scaled", "both"):
        for hours, clip, bar in itertools.product(*SCALED.values()):
            yield {"kind": "scaled", "hours": hours, "clip": clip, "bar": bar}
    if kind in ("cusum", "both"):
        for drift, clip, bar in itertools.product(*CUSUM.values()):
            yield {"kind": "cusum", "drift": drift, "clip": clip, "bar": bar}


def detector_for(setting: dict | None) -> DetectorSettings:
    base = DetectorSettings()
    if setting is None:
        return base
    return replace(base, long_seconds=int(setting.get("hours", 1) * 3600), long_kind=setting["kind"],
                   long_clip=setting["clip"], long_drift=setting.get("drift", 0.0), long_bar=setting["bar"],
                   long_learns=setting.get("learns", False))


def row(setting: dict | None) -> dict:
    ours, splits, _, _ = evaluate(detector_for(setting), IncidentSettings())
    out = {"setting": setting or "off"}
    for name, agg in (("all", ours), ("dev", splits["dev"]), ("held", splits["held"])):
        out[name] = [agg["score"], agg["windows"], agg["false_alarms"]]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=["ewma", "cusum", "scaled", "both", "fine", "learns"], default="both")
    args = parser.parse_args(argv)
    print(json.dumps(row(None)), flush=True)
    for setting in settings_grid(args.kind):
        print(json.dumps(row(setting)), flush=True)


if __name__ == "__main__":
    main()
