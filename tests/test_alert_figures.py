"""Share, volume and reach figures in the alert: in the payload's optional counts and in every renderer."""

from __future__ import annotations

from collections import Counter

from alerts.evidence import fold_reposts
from alerts.payload import incident_payload
from alerts.playbook import choose_playbook, load_playbooks
from alerts.render import build_message
from alerts.render_chat import feishu_post, markdown, slack_blocks
from alerts.render_email import html_body, text_body
from tests.alert_samples import NOW, hostile_mentions, hostile_payload, incident


def payload_with_figures() -> dict:
    posts = fold_reposts(hostile_mentions())
    return incident_payload("incident.opened", incident(), posts=posts, keywords=["住院"], signals=[],
                            playbook=choose_playbook(load_playbooks(), Counter()), incident_url=None, sent_at=NOW,
                            reach_total=sum(p.reach_total for p in posts),
                            figures={"baseline_share": 0.1, "expected_volume": 55.4})


def test_payload_keeps_the_contract_counts_and_adds_the_optional_figures() -> None:
    counts = payload_with_figures()["counts"]
    assert {k: counts[k] for k in ("negative", "baseline", "volume", "negative_share")} == {
        "negative": 42, "baseline": 3.5, "volume": 60, "negative_share": 0.7}
    assert counts["reach_total"] == 5000 + 10 + 800 and counts["baseline_share"] == 0.1
    assert counts["expected_volume"] == 55.4
    assert set(hostile_payload()["counts"]) == {"negative", "baseline", "volume", "negative_share"}  # none given


def test_every_renderer_shows_share_against_usual_volume_against_expected_and_reach() -> None:
    message = build_message(payload_with_figures())
    facts = dict(message.facts)
    assert facts["负面占比"] == "70%（平时约 10%）"
    assert facts["总声量"] == "60（预期约 55，约 1.1 倍）"
    assert facts["负面总触达"].startswith("5810")
    folded = next(p for p in message.posts if p.reposts_folded)
    assert folded.folded_note == "，另有 1 条相同转发（合计触达 5010）"
    outputs = [markdown(message), markdown(message, flavour="wecom"), str(slack_blocks(message)),
               str(feishu_post(message)), text_body(message), html_body(message)]
    for out in outputs:
        assert "平时约 10%" in out and "预期约 55" in out and "5810" in out and "合计触达 5010" in out
    assert "<script>" not in html_body(message)  # the hostile evidence stays escaped beside the new figures


def test_figures_of_the_wrong_type_are_not_rendered() -> None:
    payload = payload_with_figures()
    payload["counts"].update(baseline_share="<b>", expected_volume=None, reach_total="x")
    facts = dict(build_message(payload).facts)
    assert facts["负面占比"] == "70%" and facts["总声量"] == "60" and "负面总触达" not in facts
