"""`pip install .` (not editable) carries config/ and the demo data: the demo runs from another directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_install_runs_the_demo_elsewhere(tmp_path: Path) -> None:
    wheels, target, elsewhere = tmp_path / "wheels", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    wheel = next(wheels.glob("listener-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=600)
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import listener, listener_config, collectors; "
                               "print(listener.__file__); print(listener_config.__file__)"],
        capture_output=True, text=True, env=env, cwd=elsewhere, check=True)
    assert all(line.startswith(str(target)) for line in where.stdout.split())
    for data in ("listener.example.toml", "playbooks.toml", "lexicons/signals.toml", "lexicons/stopwords.txt",
                 "lexicons/statement.toml"):
        assert (target / "listener_config" / data).is_file(), data
    result = subprocess.run([sys.executable, "-m", "listener", "demo", "--quiet", "--workdir", str(tmp_path / "d")],
                            capture_output=True, text=True, env=env, cwd=elsewhere, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["mentions"] > 0 and summary["incidents"] >= 1 and summary["alerts_sent"] >= 1
    assert Path(summary["digest"]).exists()
