"""End-to-end checks with an independent WebSocket client (Python's `websockets`) against a real
`wlive serve` process: the handshake, a comment posted over HTTP, a spam refusal that reaches
nobody, and the close when the channel stops. Run by scripts/test after the Swift tests."""
import json
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
from websockets.sync.client import connect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("WLIVE_BINARY", os.path.join(ROOT, ".build", "debug", "wlive"))
COMMON = {"appid": "101", "source": "2", "biz": "wchat", "userid": "123", "sdk_version": "1.0", "version": "1",
          "os_type": "devtools", "os_version": "iOS 10.0.1", "client_type": "WeChat", "client_version": "6.6.3",
          "authtoken": "", "test": "1"}


@pytest.fixture(scope="module")
def gateway():
    process = subprocess.Popen([BINARY, "serve", "--ws-port", "0", "--http-port", "0", "--log-level", "warning"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"ws://([\d.]+):(\d+)(/\S*), HTTP API on http://[\d.]+:(\d+)", line)
    assert match, f"unexpected start-up line: {line!r}"
    yield {"ws": f"ws://{match.group(1)}:{match.group(2)}{match.group(3)}", "http": f"http://{match.group(1)}:{match.group(4)}"}
    process.terminate()
    assert process.wait(timeout=15) == 0


def call(gateway, name, **fields):
    body = urllib.parse.urlencode({**COMMON, **fields}).encode()
    with urllib.request.urlopen(f"{gateway['http']}/live/{name}", data=body, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.read())


def handshake(channel_id):
    return json.dumps({"user_id": "", "source": 20, "appid": "10026-cat@aSOswgfbEL8", "sdk_version": 1000,
                       "version": "j1.0", "os_type": "android", "os_version": "123.45.6", "client_type": "weapp",
                       "client_version": "1.0.0", "device_id": "wlive_userid_20_random", "device_type": "meizu",
                       "im_toklen": "", "timer_interval": 60, "channel_id": channel_id})


def next_message(ws, skip=("heartbeat", "notice")):
    while True:
        message = json.loads(ws.recv(timeout=10))
        if message["type"] not in skip:
            return message


def test_comment_flow_spam_and_close(gateway):
    started = call(gateway, "startLive", channel_title="测试标题", channel_describe="测试描述", cover_url="https://www.baidu.com", ext_json="")
    assert started["code"] == 0
    channel = started["channel"]["channel_id"]
    with connect(gateway["ws"]) as ws:
        ws.send(handshake(channel))
        ack = json.loads(ws.recv(timeout=10))
        assert ack["type"] == "handshake" and ack["code"] == 0 and ack["channel_id"] == channel
        refused = call(gateway, "sendComment", comment=json.dumps({"channel_id": channel, "content": "f.u.c.k 主播"}))
        assert refused["code"] == 303 and refused["reason"] == "banned_word"
        accepted = call(gateway, "sendComment", comment=json.dumps({"channel_id": channel, "content": "主播好！"}))
        assert accepted["code"] == 0 and accepted["seq"] == 1
        comment = next_message(ws)
        assert comment["type"] == "comment" and comment["content"] == "主播好！" and comment["seq"] == 1
        assert call(gateway, "stopLive", channel_id=channel)["code"] == 0
        assert next_message(ws)["type"] == "channel_closed"
        with pytest.raises(Exception):
            ws.recv(timeout=10)
        assert ws.close_code == 1000


def test_bad_handshake_is_refused_with_its_close_code(gateway):
    with connect(gateway["ws"]) as ws:
        ws.send(handshake("12345"))
        answer = json.loads(ws.recv(timeout=10))
        assert answer["code"] == 1
        with pytest.raises(Exception):
            ws.recv(timeout=10)
        assert ws.close_code == 4404


def test_ping_pong_and_upstream_refusal(gateway):
    channel = call(gateway, "startLive", channel_title="t", channel_describe="d", cover_url="c")["channel"]["channel_id"]
    with connect(gateway["ws"] + f"?channel_id={channel}") as ws:
        ws.send(json.dumps({k: v for k, v in json.loads(handshake(channel)).items() if k != "channel_id"}))
        assert json.loads(ws.recv(timeout=10))["code"] == 0
        started = time.monotonic()
        ws.ping(b"x").wait(timeout=10)
        assert time.monotonic() - started < 10
        ws.send("a comment sent up the socket")
        error = next_message(ws)
        assert error["type"] == "error" and error["code"] == 22
