"""The score ranks statements the way the public received them: realistic drafts, worst to best.

The statements are written for this test (modelled on the kinds of statements Chinese brands publish in a
crisis, not copied from any). Tiers are our expected reception: within a tier no order is asserted.
"""

from __future__ import annotations

import itertools

import opencc

from alerts.statement import check_statement

HOSTILE, DEFLECTING, BOILERPLATE, THIN, FLAWED, GOOD, EXEMPLARY = range(7)

GOOD_CORE = (
    "我们向所有受影响的消费者和家长郑重道歉，这是我们的错。孩子喝了之后出现呕吐，家长的担心和愤怒我们完全理解。"
    "经调查，11月20日生产的3批次酸奶在灌装环节受到污染。我们已于今天下架全部3批次产品，"
    "并将在48小时内公布第三方检测机构的检测报告。"
)
FULL = (
    GOOD_CORE + "购买过这些批次的顾客可凭订单全额退款，就医的费用由我们承担。"
    "专线电话400-123-4567，我们每天18:00在官方微博更新进展。由总经理张伟牵头整改，并对结果负责。"
)

STATEMENTS: list[tuple[str, int, str]] = [
    ("lawyer_letter", HOSTILE,
     "【严正声明】近日，网络上流传关于我司产品的不实信息，纯属恶意炒作，别有用心。经权威机构检测，我司产品完全符合国家标准。"
     "我司已委托律师向相关造谣者发出律师函，并保留追究其法律责任的权利。请广大网友不信谣、不传谣。"),
    ("deny_and_blame_users", HOSTILE,
     "针对近日网传“喝了拉肚子”一事，经核查，我司产品质量没有问题，相关情况系消费者个人体质及储存不当所致。"
     "说明书上已经写得很清楚，请消费者正确储存。希望大家理性看待，不要盲目跟风。"),
    ("deny_and_sue", HOSTILE,
     "关于网传我司产品含有异物一事，经查，该信息与事实不符。对于恶意中伤我司的行为，我司将通过法律途径维护自身合法权益。"),
    ("rogue_employee", DEFLECTING,
     "关于门店员工与顾客发生冲突一事，经了解，系个别员工的个人行为，属于偶发事件。"
     "我们一直兢兢业业服务每一位顾客，这次被网络放大，我们也很委屈。"),
    ("sorry_but", DEFLECTING,
     "对不起，给大家带来了不好的体验。但是此事是外包人员操作不当造成的，我们也是受害者。"),
    ("stalling", BOILERPLATE,
     "我司高度重视，已第一时间成立专项工作组，目前正在调查核实，请大家耐心等待调查结果，后续进展将另行通知。感谢大家的关注。"),
    ("jargon_apology", BOILERPLATE,
     "对此次事件给广大消费者带来的不便，我们深表歉意。我们将举一反三，进一步完善管理制度，持续优化服务体验。"),
    ("investigating_with_a_date", THIN,
     "我们注意到了网友反映的问题，目前正在调查，将在48小时内公布调查结果。"),
    ("apology_without_times", THIN,
     "我们向受影响的顾客道歉。经初步核查，问题出在一家门店的冷链设备故障。我们已经关闭该门店并进行整改。"),
    ("good_but_legal_line", FLAWED,
     FULL + "对于借机造谣者，我们将依法追究其法律责任。"),
    ("holding_statement", FLAWED,
     "我们看到了大家关于配送延误和餐品变质的反映，非常抱歉让大家担心了。我们已于今天上午暂停受影响门店的配送，"
     "并将在24小时内公布初步调查结果。进展会每天在官方微博更新。"),
    ("good_no_remedy", GOOD,
     GOOD_CORE + "有任何问题请拨打专线电话400-123-4567。"),
    ("full", EXEMPLARY, FULL),
    ("full_traditional", EXEMPLARY, opencc.OpenCC("s2tw").convert(FULL)),
    ("owns_it_not_the_employee", EXEMPLARY,
     "这件事的责任在我们，不是个别员工的问题，是我们的管理出了问题，我们向王女士和她的家人郑重道歉。"
     "王女士在门店受到的伤害和惊吓，我们感同身受。11月28日晚上，我们已与王女士当面致歉，并承担全部医疗费用。"
     "涉事门店即日起停业整顿，12月10日前完成全体员工培训并公布整改报告。"
     "由区域总经理李明负责整改并接受监督，顾客可拨打服务热线400-888-1234反映问题。"),
]


def scores() -> dict[str, tuple[int, int]]:
    return {name: (tier, check_statement(text).score) for name, tier, text in STATEMENTS}


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: list[float], y: list[float]) -> float:
    rx, ry = _ranks(x), _ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / var


def test_every_pair_from_different_tiers_is_ordered() -> None:
    found = scores()
    wrong = [(a, found[a], b, found[b]) for a, b in itertools.permutations(found, 2)
             if found[a][0] < found[b][0] and found[a][1] >= found[b][1]]
    assert wrong == [], found


def test_rank_correlation_with_public_reception() -> None:
    found = scores()
    tiers = [tier for tier, _ in found.values()]
    values = [score for _, score in found.values()]
    assert spearman(tiers, values) >= 0.9, found


def test_scores_span_the_scale() -> None:
    found = scores()
    assert max(s for t, s in found.values() if t == HOSTILE) <= 10
    assert min(s for t, s in found.values() if t == EXEMPLARY) >= 90


def test_a_legal_line_costs_a_good_apology_moderately() -> None:
    full, flawed = check_statement(FULL), check_statement(FULL + "对于借机造谣者，我们将依法追究其法律责任。")
    assert full.score >= 95 and not full.findings
    assert 50 <= flawed.score <= full.score - 15
    assert {f.category for f in flawed.findings} >= {"legal_threat"}
