"""The operator page in a real browser: Debian's headless Chromium, driven by selenium through
chromedriver, loads /admin from a real `wlive serve` that has viewers and comments, and must show
real figures: the connection count, the room in both top lists, and its last comments. It saves a
screenshot (WLIVE_SCREENSHOT names the file; docs/images/admin.png is one)."""
import contextlib
import json
import os
import shutil
import tempfile

import pytest
from websockets.sync.client import connect

from wlive_support import Gateway, call, handshake, next_message, start_live

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail("Debian's chromium and chromium-driver are needed (scripts/deps.sh installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1100",
                     f"--user-data-dir={tempfile.mkdtemp(prefix='wlive-chromium-')}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def test_the_operator_page_shows_live_figures_in_chromium(browser):
    viewers = 3
    with Gateway() as gateway:
        channel = start_live(gateway)
        with contextlib.ExitStack() as stack:
            sockets = [stack.enter_context(connect(gateway.ws)) for _ in range(viewers)]
            for ws in sockets:
                ws.send(handshake(channel))
                assert json.loads(ws.recv(timeout=10))["code"] == 0
            for n in range(5):
                text = f"第{n + 1}条弹幕 hello"
                assert call(gateway, "sendComment", userid=f"viewer{n}", comment=json.dumps({"channel_id": channel, "content": text}))["code"] == 0
            refused = call(gateway, "sendComment", userid="spammer", comment=json.dumps({"channel_id": channel, "content": "加微信 13812345678"}))
            assert refused["code"] == 303
            for ws in sockets:
                assert [next_message(ws)["seq"] for _ in range(5)] == [1, 2, 3, 4, 5]

            browser.get(f"{gateway.admin}/admin")
            wait = WebDriverWait(browser, 15)
            wait.until(lambda d: d.find_element(By.ID, "connections").text == str(viewers))
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#top-viewers tr[data-room="{channel}"]'))
            wait.until(lambda d: "第5条弹幕 hello" in d.find_element(By.ID, "room-detail").text)
            # A second sample makes a rate; the comment-rate list may have aged out by then, so
            # only the figures that stay are required.
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rates polyline")) == 2)
            assert browser.find_element(By.ID, "rooms").text == "1"
            assert browser.find_element(By.ID, "comments-total").text == "5"
            assert browser.find_element(By.ID, "room-id").text == channel
            detail = browser.find_element(By.ID, "room-detail").text
            assert "live" in detail and "第1条弹幕 hello" in detail
            assert "contact" in browser.find_element(By.ID, "refusals").text
            assert browser.find_element(By.ID, "status").text.startswith("ready")
            screenshot = os.environ.get("WLIVE_SCREENSHOT") or os.path.join(tempfile.gettempdir(), "wlive-admin.png")
            assert browser.save_screenshot(screenshot)
            assert os.path.getsize(screenshot) > 10_000
        assert gateway.terminate() == 0
