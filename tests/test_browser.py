"""The dashboard in a real headless Chromium (Debian's, driven by Playwright), on a seeded store.

Screenshots land in tests/artifacts/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from listener.digests import build_digests
from listener.store import Store
from listener.web.app import create_app
from tests.web_seed import BRAND, DIGEST_NOW, INCIDENT_ID, NOW, OTHER, seed_rest_of_day, seeded_config

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-quic", "--no-first-run", "--disable-sync"]


def _installed(package: str) -> bool:
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return "install ok installed" in result.stdout


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium and CJK fonts, installed here with apt-get when missing (CI runs as root)."""
    if not (Path(CHROMIUM).exists() and _installed("fonts-noto-cjk")):
        apt = shutil.which("apt-get")
        assert apt, "browser tests need chromium and fonts-noto-cjk: apt-get install -y chromium fonts-noto-cjk"
        subprocess.run([apt, "update", "-qq"], check=True, capture_output=True)
        subprocess.run([apt, "install", "-y", "-qq", "chromium", "fonts-noto-cjk"], check=True, capture_output=True,
                       env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    assert Path(CHROMIUM).exists()
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """Module scope: Playwright's sync API keeps an event loop running while it is open, and later test
    modules call asyncio.run()."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """The dashboard on a free loopback port, its clock fixed to the seed's NOW."""
    config = seeded_config(tmp_path)
    store = Store(config.store_path)
    build_digests(store, config, (NOW.astimezone(config.timezone)).date(), NOW)
    store.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(config, clock=lambda: NOW), host="127.0.0.1", port=port,
                                           log_config=None, access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}", config
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    tab.dialogs = dialogs
    yield tab
    context.close()


def shot(page: Any, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


def test_overview_loads_and_charts_render(site, page) -> None:
    base, _ = site
    page.goto(base + "/")
    assert page.title().startswith("总览")
    assert page.locator("section.brand").count() == 2
    bars = page.locator("section.brand[data-brand='栖云乳业'] svg.chart rect.bar")
    assert bars.count() >= 14
    box = bars.first.bounding_box()
    assert box and box["height"] > 0 and box["width"] > 0
    assert page.locator(".alert-box a").first.inner_text().startswith(BRAND)
    assert shot(page, "overview.png").stat().st_size > 10_000


def test_filters_and_search_narrow_the_list(site, page) -> None:
    base, _ = site
    page.goto(base + "/mentions")

    def total() -> int:
        return int(page.locator("p.count").get_attribute("data-total"))

    everything = total()
    page.select_option("select[name=label]", "negative")  # app.js submits the form on change
    page.wait_for_url("**label=negative**")
    negative = total()
    assert 0 < negative < everything
    labels = page.locator("article.mention").evaluate_all("els => els.map(e => e.dataset.label)")
    assert labels and set(labels) == {"negative"}
    page.fill("input[name=q]", "拉肚子")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=**")
    searched = total()
    assert 0 < searched < negative
    assert page.locator("article.mention mark").first.inner_text() == "拉肚子"
    shot(page, "mentions.png", full_page=False)
    page.goto(base + "/mentions")
    first = page.locator("article.mention").first.get_attribute("data-mention-id")
    page.click("a[rel=next]")
    page.wait_for_url("**cursor=**")
    assert page.locator("article.mention").count() > 0
    assert first not in page.locator("article.mention").evaluate_all("els => els.map(e => e.dataset.mentionId)")


def test_hostile_post_does_not_execute(site, page) -> None:
    base, _ = site
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for url in ("/mentions?q=onerror", "/mentions?label=negative", f"/incidents/{INCIDENT_ID}"):
        page.goto(base + url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") is None, url
        assert page.locator("img").count() == 0 and page.locator("main script").count() == 0, url
    page.goto(base + "/mentions?q=onerror")
    assert '<img src=x onerror="window.__pwned=1">' in page.locator("article.mention .text").first.inner_text()
    assert page.dialogs == [] and errors == []


def test_acknowledge_then_resolve_changes_the_incident(site, page) -> None:
    base, config = site
    page.goto(f"{base}/incidents/{INCIDENT_ID}")
    assert page.locator("svg.chart rect.bar-negative").count() > 0
    assert page.locator("#statement-check").count() == 1
    assert page.locator("[data-status]").first.get_attribute("data-status") == "open"
    shot(page, "incident.png")
    page.click("#ack")
    page.wait_for_load_state()
    assert page.locator("h1 [data-status]").get_attribute("data-status") == "acknowledged"
    assert Store(config.store_path).incident(INCIDENT_ID).status == "acknowledged"
    page.click("#resolve")  # asks to confirm; the fixture accepts
    page.wait_for_function("document.querySelector('h1 [data-status]').dataset.status === 'resolved'")
    assert page.dialogs == ["确定解除此事件？"]
    assert Store(config.store_path).incident(INCIDENT_ID).status == "resolved"
    shot(page, "incident-resolved.png")


def test_html_digest_for_the_seeded_week(site, page) -> None:
    base, config = site
    day = NOW.astimezone(config.timezone).date().isoformat()
    page.goto(base + "/digests")
    page.locator("table.grid tr", has_text=BRAND).locator("a", has_text="HTML").click()
    page.wait_for_url(f"**/digests/**/{day}")
    assert BRAND in page.title()
    assert page.locator("text=负面热帖").count() >= 1
    shot(page, "digest-archive.png")


@pytest.fixture
def digest_week(tmp_path: Path) -> dict[str, Path]:
    """The seeded week with its last day completed, digested the next morning as the daily job does."""
    config = seeded_config(tmp_path)
    seed_rest_of_day(config)
    store = Store(config.store_path)
    try:
        files = build_digests(store, config, NOW.astimezone(config.timezone).date(), DIGEST_NOW)
    finally:
        store.close()
    for f in files:  # the whole day is in: the evening after the seed's NOW (12:00) too
        hourly = json.loads(f.json.read_text(encoding="utf-8"))["hourly"]
        assert all(hourly[h]["volume"] > 0 for h in range(12, 24)), f.brand
    return {f.brand: f.html for f in files}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_html_digest_of_a_full_day_reads_well(browser, digest_week, viewport) -> None:
    """What the brand manager opens at 08:30: real CJK glyphs, a full-width chart of all 24 hours, no overflow."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        for brand, path in digest_week.items():
            page.goto(path.as_uri())
            assert page.title().startswith(f"{brand} 舆情日报")
            chart = page.locator("img[alt^=分时声量图]")
            natural = chart.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
            assert natural == [True, 1040, 400]
            frame = page.locator("h1").evaluate("h => { const c = getComputedStyle(h.parentElement);"
                                                " return h.parentElement.clientWidth - parseFloat(c.paddingLeft)"
                                                " - parseFloat(c.paddingRight); }")
            shown = chart.bounding_box()
            assert shown and abs(shown["width"] - min(720, frame)) <= 2  # the chart spans the content width
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # no sideways scroll
            if brand == BRAND:
                assert page.locator("text=预警事件 Incidents").count() == 1
                assert "<img src=x" in page.locator("body").inner_text()  # the hostile post, shown as text
            name = "digest" if brand == BRAND else "digest-other"
            suffix = "" if viewport is DESKTOP else "-phone"
            assert shot(page, f"{name}{suffix}.png").stat().st_size > 20_000
    finally:
        context.close()
    assert set(digest_week) == {BRAND, OTHER}


PAGES = [("overview", "/"), ("mentions-filtered", f"/mentions?brand={BRAND}&label=negative&feed=weibo"),
         ("search", "/mentions?q=拉肚子"), ("incident", f"/incidents/{INCIDENT_ID}"), ("incidents", "/incidents"),
         ("feeds", "/feeds"), ("digests", "/digests"), ("login", "/login")]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_fits_desktop_and_phone(site, browser, viewport) -> None:
    """Screenshots of every page for a human to look at; none scrolls sideways on a 390 px phone."""
    base, _ = site
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    try:
        tab = context.new_page()
        too_wide = []
        for name, url in PAGES:
            tab.goto(base + url)
            assert tab.locator("main").count() == 1, url
            shot(tab, f"page-{name}-{'desktop' if viewport is DESKTOP else 'phone'}.png")
            width = tab.evaluate("document.documentElement.scrollWidth")
            if width > viewport["width"]:
                too_wide.append((url, width))
    finally:
        context.close()
    assert too_wide == []


def test_silence_a_brand_from_the_overview_then_lift_it(site, page) -> None:
    base, config = site
    page.goto(base + "/")
    card = page.locator(f"section.brand[data-brand='{BRAND}']")
    card.locator("details.silence-form summary").click()
    card.locator("input[name=duration][value='4h']").check()
    card.locator("input[name=reason]").fill("<b>发布会</b>期间")
    card.locator("details.silence-form button[type=submit]").click()
    page.wait_for_selector("#silences")
    row = page.locator(f"#silences li[data-brand='{BRAND}']")
    assert "<b>发布会</b>期间" in row.inner_text()  # escaped: shown as typed
    assert row.locator(".silenced").get_attribute("data-silenced-until") == "2026-11-23T16:00"  # 12:00 + 4 h
    assert card.locator("details.silence-form").count() == 0 and card.locator(".silenced").count() == 1
    assert [s["brand"] for s in Store(config.store_path).silences()] == [BRAND]
    shot(page, "overview-silenced.png")
    page.goto(f"{base}/incidents/{INCIDENT_ID}")
    assert page.locator("#silence .silenced").count() == 1
    page.goto(base + "/")
    page.locator(f"#silences li[data-brand='{BRAND}'] button").click()
    page.wait_for_load_state()
    assert page.locator("#silences").count() == 0
    assert page.locator(f"section.brand[data-brand='{BRAND}'] details.silence-form").count() == 1
    assert Store(config.store_path).silences() == []


def test_custom_end_time_from_the_incident_page(site, page) -> None:
    base, config = site
    page.goto(f"{base}/incidents/{INCIDENT_ID}")
    page.locator("#silence summary").click()
    page.fill("#silence input[name=until]", "2026-11-24T09:30")  # app.js picks "custom" for a typed end time
    assert page.locator("#silence input[value=custom]").is_checked()
    page.locator("#silence button[type=submit]").click()
    page.wait_for_selector("#silence .silenced")
    assert page.locator("#silence .silenced").get_attribute("data-silenced-until") == "2026-11-24T09:30"
    assert Store(config.store_path).silenced_until(BRAND, NOW).isoformat() == "2026-11-24T01:30:00+00:00"
    shot(page, "incident-silenced.png", full_page=False)
