"""The live detection job from persisted state: same verdicts as a replay, crash-safe, rebuilt when unusable,
a repost wave counted as one voice, and weights off by default."""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.evaluate import evaluate_brand
from alerts.playbook import load_playbooks
from alerts.types import Incident
from alerts.voices import CountSettings, VoiceRow, voice_weight
from analyzers import BrandMatch, Mention, Signal
from analyzers.simhash import simhash
from listener.config import Config, load_config
from listener.detection import build_payload, detect, evaluate
from listener.store import Store
from listener.store.detection import assign_voices, load_state, voice_counts, voice_of
from tests.sampling import poisson

BRAND = "栖云乳业"
START = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday
BUCKET = timedelta(minutes=10)
SECOND = timedelta(seconds=1)
CRISIS = START + timedelta(days=4, hours=10)
WAVE = "栖云纯牛奶批次20261108B喝了孩子呕吐腹泻，已经投诉到12315，大家千万别买，转发扩散！"
CONFIG = """
[store]
path = "{db}"
[[brands]]
name = "栖云乳业"
aliases = ["栖云牛奶"]
[detector]
{detector}
[[channels]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:9/hook"
"""
PLAYBOOKS = load_playbooks()
FIELDS = ("status", "severity", "window_start", "window_end", "negative", "baseline", "volume",
          "peak_bucket_negative", "quiet_buckets", "notified_negative", "notified_severity")


@dataclass(frozen=True)
class Planned:
    mention: Mention
    arrives: datetime  # when the collector stores it (often after its bucket closed)


def post(key: str, at: datetime, label: str, text: str | None = None, followers: int = 100,
         signals: tuple[Signal, ...] = ()) -> Mention:
    text = text or f"{BRAND}{key}"
    return Mention(mention_id=key, feed="weibo", url=f"https://weibo.com/{key}", title="", text=text, clean_text=text,
                   author=f"u{key}", published_at=at, fetched_at=at, brands=(BrandMatch(BRAND, ((0, 4),)),),
                   sentiment=0.1 if label == "negative" else 0.5, label=label, metrics={"followers": followers},
                   simhash=simhash(text) if text != f"{BRAND}{key}" else 0, signals=signals)



def plan(seed: int = 7) -> list[Planned]:
    """Four days of chatter with a daily rhythm, then a two-hour crisis (a repost wave inside it), then calm.

    Posts arrive up to 8 minutes after publication (a polled feed), one in fifty 15-40 minutes late.
    """
    rng = random.Random(seed)
    out = []
    for i in range(int((CRISIS + timedelta(hours=6) - START) / BUCKET)):
        at = START + i * BUCKET
        evening = 1.0 + 2.0 * (17 <= at.hour <= 22)
        negative = poisson(rng, 1.2 * evening)
        if CRISIS <= at < CRISIS + timedelta(hours=2):
            negative += 25
        for k in range(negative + poisson(rng, 3.0 * evening)):
            when = at + timedelta(seconds=rng.randrange(600))
            late = timedelta(minutes=rng.uniform(15, 40) if rng.random() < 0.02 else rng.uniform(0, 8))
            mention = post(f"p{i}-{k}", when, "negative" if k < negative else "neutral")
            out.append(Planned(mention, when + late))
        if CRISIS <= at < CRISIS + timedelta(hours=1):  # 60 copies of one complaint: one voice
            for k in range(10):
                when = at + timedelta(seconds=60 * k + 7)
                out.append(Planned(post(f"w{i}-{k}", when, "negative", WAVE + "!" * (k % 3), followers=50), when))
    return sorted(out, key=lambda p: p.arrives)


def write_config(tmp_path: Path, detector: str = "", db: str = "d.db") -> Config:
    path = tmp_path / f"{db}.toml"
    path.write_text(CONFIG.format(db=db, detector=detector), encoding="utf-8")
    return load_config(path)


def arrive(store: Store, planned: list[Planned], after: datetime | None, until: datetime) -> None:
    store.save_mentions([p.mention for p in planned if (after is None or p.arrives > after) and p.arrives <= until])


def shown(incident: Incident | None) -> tuple | None:
    return None if incident is None else tuple(getattr(incident, f) for f in FIELDS)


class Replay:
    """Today's job: every run replays the whole history through a fresh detector (the reference)."""

    def __init__(self, config: Config):
        self.config, self.incident, self.cursor = config, None, None

    def run(self, store: Store, now: datetime):
        start = max(store.first_mention_at(BRAND), now - timedelta(seconds=self.config.detector.baseline_seconds))
        buckets = voice_counts(store, BRAND, since=start, until=now, bucket_seconds=600, counting=self.config.counting)
        result = evaluate_brand(BRAND, buckets, incident=self.incident, cursor=self.cursor, now=now,
                                detector=self.config.detector, settings=self.config.incidents)
        if result.incident is not None and result.changed:
            self.incident = result.incident
        self.cursor = result.cursor
        shown_now = self.incident
        if self.incident is not None and not self.incident.is_active:
            self.incident = None
        return result, shown_now


def runs(first: datetime, last: datetime) -> list[datetime]:
    count = int((last - first) / BUCKET)
    return [first + k * BUCKET + timedelta(minutes=1) for k in range(count + 1)]


def test_persisted_state_gives_the_replays_verdicts_run_for_run_across_restarts(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    planned = plan()
    reference = Replay(config)
    previous = None
    events, expected_events = [], []
    schedule = runs(START + timedelta(days=3, hours=20), CRISIS + timedelta(hours=5))
    for number, now in enumerate(schedule):
        store = Store(config.store_path)  # every run is a fresh process: a new connection, nothing in memory
        arrive(store, planned, previous, now)
        if number == 40:  # mid-run-of-the-mill: a lost state is rebuilt and changes nothing
            store.conn.execute("DELETE FROM detector_state")
        dry, _ = evaluate(store, config, BRAND, now)  # what detect() will decide, without writing
        got = detect(store, config, PLAYBOOKS, now)
        ref, ref_incident = reference.run(store, now)
        assert ref.verdicts[len(ref.verdicts) - len(dry.verdicts):] == dry.verdicts, now
        assert [e.event for e in got] == ([ref.event] if ref.event else []), now
        ours = store.incident(got[0].incident.incident_id) if got else store.active_incident(BRAND)
        if ref.event or ours is not None:
            assert shown(ours) == shown(ref_incident), now
        events += [(e.event, e.incident.severity) for e in got]
        expected_events += [(ref.event, ref.incident.severity)] if ref.event else []
        previous = now
        store.close()
    assert events == expected_events
    assert events[0][0] == "incident.opened" and events[-1][0] == "incident.resolved"
    store = Store(config.store_path)
    assert len(store.incidents()) == 1
    # the wave's 60 copies (10 a bucket for an hour) were one voice, counted in its first bucket
    for k in range(6):
        at = CRISIS + k * BUCKET
        folded = voice_counts(store, BRAND, since=at, until=at + BUCKET - SECOND, bucket_seconds=600,
                              counting=config.counting)
        raw = store.bucket_counts(BRAND, since=at, until=at + BUCKET - SECOND, bucket_seconds=600)
        assert raw[0].negative - folded[0].negative == (9 if k == 0 else 10)
    # and each run after the first learned only what it had not seen: the stored state is a few buckets behind
    through = json.loads(load_state(store, BRAND))["through"]
    assert schedule[-1] - datetime.fromtimestamp(through, UTC) <= timedelta(hours=1, minutes=11)
    store.close()


def test_a_late_post_inside_settle_counts_in_its_bucket_and_a_later_one_is_not_learned(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    day2 = START + timedelta(days=2)
    now = day2 + timedelta(minutes=1)
    store = Store(config.store_path)
    store.save_mentions([p.mention for p in plan(seed=3) if p.mention.published_at < day2])
    detect(store, config, PLAYBOOKS, now)
    # 28 minutes late: its bucket (23:30) is still settling, so the next run counts it where it belongs
    bucket = day2 - timedelta(minutes=30)
    store.save_mentions([post(f"late{k}", bucket + timedelta(minutes=2), "negative") for k in range(3)])
    later = now + BUCKET
    dry, _ = evaluate(store, config, BRAND, later)
    reference = Replay(config)
    reference.cursor = store.detector_cursor(BRAND)
    ref, _ = reference.run(store, later)
    assert ref.verdicts[len(ref.verdicts) - len(dry.verdicts):] == dry.verdicts
    [counted] = [v for v in dry.verdicts if v.bucket_start == bucket]
    assert counted.count == 3 + sum(1 for p in plan(seed=3) if p.mention.label == "negative"
                                    and bucket <= p.mention.published_at < bucket + BUCKET)
    detect(store, config, PLAYBOOKS, later)
    # a day late: that bucket settled long ago; the posts are stored (and shown as evidence) but not learned
    _, before = evaluate(store, config, BRAND, later)
    store.save_mentions([post(f"old{k}", START + timedelta(days=1, hours=1), "negative") for k in range(20)])
    _, after = evaluate(store, config, BRAND, later)
    assert after.baseline == before.baseline and after.through == before.through
    assert not detect(store, config, PLAYBOOKS, later + timedelta(seconds=30))  # a backfill never pages anyone
    store.close()


def test_corrupt_or_outdated_state_is_rebuilt_once_with_one_log_line(tmp_path: Path, caplog) -> None:
    config = write_config(tmp_path)
    planned = [p for p in plan(seed=5) if p.arrives < START + timedelta(days=3)]
    store = Store(config.store_path)
    store.save_mentions([p.mention for p in planned])
    now = START + timedelta(days=3, minutes=1)
    detect(store, config, PLAYBOOKS, now)
    good = load_state(store, BRAND)
    _, expected = evaluate(store, config, BRAND, now + BUCKET)
    broken = json.loads(good)
    broken["baseline"]["hourly"] = broken["baseline"]["hourly"][:23]
    nan = good.replace('"level":', '"level":NaN,"x":', 1)
    for text, reason in [("", "no stored state"), ("{not json", "not JSON"), (json.dumps(broken), "wrong shape"),
                         (nan, "malformed"),
                         (good.replace(json.loads(good)["fingerprint"], "0" * 16), "settings changed")]:
        store.conn.execute("UPDATE detector_state SET state = ?", (text,))
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="listener.detect"):
            _, rebuilt = evaluate(store, config, BRAND, now + BUCKET)
        lines = [r.getMessage() for r in caplog.records if r.name == "listener.detect"]
        assert len(lines) == 1 and reason in lines[0], (reason, lines)
        assert rebuilt.baseline == expected.baseline and rebuilt.through == expected.through
    # settings that change what the baseline means make the old state unusable
    store.conn.execute("UPDATE detector_state SET state = ?", (good,))
    changed = write_config(tmp_path, "min_count = 7\nwindow = \"2h\"", db="d.db")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="listener.detect"):
        evaluate(store, changed, BRAND, now + BUCKET)
    assert [r.getMessage() for r in caplog.records if r.name == "listener.detect"] == [
        f"{BRAND}: detector state rebuilt from history (model version or detector settings changed)"]
    with caplog.at_level(logging.INFO, logger="listener.detect"):
        caplog.clear()
        evaluate(store, config, BRAND, now + BUCKET)
    assert not [r for r in caplog.records if r.name == "listener.detect"]  # the good state is used as it is
    store.close()


def wave(count: int, at: datetime, followers: int = 200) -> list[Mention]:
    return [post(f"r{k}", at + timedelta(seconds=k), "negative", ("转发：" if k % 2 else "") + WAVE + "!" * (k % 3),
                 followers=followers) for k in range(count)]


def test_a_post_reposted_500_times_is_one_voice_with_500x_reach(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    store = Store(config.store_path)
    at = START + timedelta(days=1, hours=9)
    store.save_mentions([*wave(500, at), post("other", at, "negative", "栖云酸奶新口味草莓味太甜了，不太喜欢这种味道")])
    assert assign_voices(store, BRAND, since=at - BUCKET) == 501
    voice, copies, reach = voice_of(store, BRAND, "r250")
    assert (voice, copies, reach) == ("r0", 500, 500 * 200)
    [bucket] = [b for b in voice_counts(store, BRAND, since=at, until=at + BUCKET, bucket_seconds=600,
                                        counting=CountSettings()) if b.volume]
    assert (bucket.negative, bucket.volume) == (2, 2)  # the wave and the other complaint
    raw = store.bucket_counts(BRAND, since=at, until=at + BUCKET, bucket_seconds=600)
    assert max(b.negative for b in raw) == 501  # what the detector counted before voices
    # the evidence shows the folded post with its repost count and the wave's summed reach
    incident = Incident("i1", BRAND, "open", "warning", at, at, at, at + BUCKET, 2, 1.0, 2)
    payload = build_payload(store, config, "incident.opened", incident, PLAYBOOKS, at + BUCKET)
    top = payload["posts"][0]
    assert top["reposts_folded"] == 499 and top["reach_total"] == 500 * 200 and top["reach"] == 200
    # a later run assigns only its new copies, into the same voice
    store.save_mentions([post("r-late", at + timedelta(hours=3), "negative", WAVE, followers=200)])
    assert assign_voices(store, BRAND, since=at - BUCKET) == 1
    assert voice_of(store, BRAND, "r-late") == ("r0", 501, 501 * 200)
    store.close()


def test_a_repost_wave_on_a_warm_brand_opens_nothing_but_distinct_complaints_do(tmp_path: Path) -> None:
    quiet = [p.mention for p in plan(seed=9) if p.mention.published_at < START + timedelta(days=2)]
    now = START + timedelta(days=2, minutes=5)
    at = START + timedelta(days=2)
    outcomes = {}
    for name, detector, burst in [("folded", "", wave(300, at)), ("raw", "fold_reposts = false", wave(300, at)),
                                  ("distinct", "", [post(f"c{k}", at + timedelta(seconds=k), "negative")
                                                    for k in range(40)])]:
        config = write_config(tmp_path, detector, db=f"{name}.db")
        store = Store(config.store_path)
        store.save_mentions(quiet + burst)
        outcomes[name] = [e.event for e in detect(store, config, PLAYBOOKS, now)]
        store.close()
    assert outcomes == {"folded": [], "raw": ["incident.opened"], "distinct": ["incident.opened"]}


def test_weights_are_off_by_default_and_count_as_documented(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert config.counting == CountSettings(fold_reposts=True, weight_reach=False, weight_signals=False,
                                            settle_seconds=3600)
    store = Store(config.store_path)
    planned = [p.mention for p in plan(seed=2) if p.mention.published_at < START + timedelta(days=1)]
    store.save_mentions(planned)
    assign_voices(store, BRAND, since=START)
    today = store.bucket_counts(BRAND, since=START, until=START + timedelta(days=1), bucket_seconds=600)
    for counting in (CountSettings(), CountSettings(fold_reposts=False)):
        assert voice_counts(store, BRAND, since=START, until=START + timedelta(days=1), bucket_seconds=600,
                            counting=counting) == today  # distinct posts: exactly today's counts
    at = START + timedelta(days=1, hours=2)
    safety = (Signal("product_safety", ("呕吐",), 3.0),)
    store.save_mentions([post("big", at, "negative", "栖云牛奶喝完全家呕吐，工厂卫生太差了", followers=99_999,
                              signals=safety),
                         post("small", at + timedelta(seconds=5), "neutral", "栖云牛奶今天超市打折买了两箱",
                              followers=9)])
    assign_voices(store, BRAND, since=at)

    def bucket(counting: CountSettings) -> tuple[float, float]:
        b = voice_counts(store, BRAND, since=at, until=at + BUCKET - SECOND, bucket_seconds=600,
                         counting=counting)[0]
        return b.negative, b.volume

    assert bucket(CountSettings()) == (1, 2)
    assert bucket(CountSettings(weight_reach=True)) == (5.0, 7.0)  # capped at 5; 1 + log10(1 + 9) = 2
    assert bucket(CountSettings(weight_signals=True)) == (3.0, 4.0)  # product safety weighs 3
    assert bucket(CountSettings(weight_reach=True, weight_signals=True)) == (15.0, 17.0)
    assert voice_weight(VoiceRow(0, True, 0, 0.0), CountSettings(weight_reach=True)) == 1.0
    store.close()


CHILD = """
import sys
from datetime import datetime
from listener.config import load_config
from listener.detection import detect
from listener.store import Store
from listener.store.codec import from_ts
from tests.test_detection_state import PLAYBOOKS, arrive, plan, runs

config = load_config(sys.argv[1])
first, last = datetime.fromisoformat(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
planned = plan()
store = Store(config.store_path)
done = store.conn.execute("SELECT max(updated_at) FROM detector_cursors").fetchone()[0]
previous = from_ts(done) if done else None
for now in runs(first, last):
    if previous is not None and now <= previous:
        continue
    arrive(store, planned, previous, now)
    detect(store, config, PLAYBOOKS, now)
    previous = now
    print(now.isoformat(), flush=True)
"""


def child(config: Config, first: datetime, last: datetime) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(config.path), first.isoformat(), last.isoformat()],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    """Wait for a child and close its pipes; its exit code and stderr."""
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err


def outbox_events(store: Store) -> list[tuple]:
    rows = store.conn.execute("SELECT event, payload FROM outbox ORDER BY created_at, rowid").fetchall()
    return [(event, json.loads(p)["severity"], json.loads(p)["counts"]["negative"]) for event, p in rows]


def test_kill_9_between_and_during_runs_never_loses_or_doubles_an_alert(tmp_path: Path) -> None:
    first, last = CRISIS - timedelta(hours=1), CRISIS + timedelta(hours=4)
    steady = write_config(tmp_path, db="steady.db")
    code, err = finish(child(steady, first, last))
    assert code == 0, err
    store = Store(steady.store_path)
    expected = outbox_events(store)
    store.close()
    assert expected[0][0] == "incident.opened" and expected[-1][0] == "incident.resolved"
    crashy = write_config(tmp_path, db="crashy.db")
    rng, kills = random.Random(1), 0
    while True:
        proc = child(crashy, first, last)
        finished = False
        for _ in range(rng.randint(1, 6)):  # let it finish a few runs, then kill it at a random moment
            if not proc.stdout.readline():
                finished = True
                break
        if not finished:
            time.sleep(rng.uniform(0.0, 0.15))
            proc.kill()  # SIGKILL: no cleanup, maybe mid-transaction
            kills += 1
        code, err = finish(proc)
        if finished or code == 0:
            assert code == 0, err
            break
    store = Store(crashy.store_path)
    assert kills >= 1
    assert outbox_events(store) == expected  # every alert once, with the same counts
    assert store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1
    store.close()
