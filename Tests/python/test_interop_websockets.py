"""End-to-end checks with an independent WebSocket client (Python's `websockets`) against a real
`wlive serve` process: the handshake, a comment posted over HTTP, a spam refusal that reaches
nobody, and the close when the channel stops. Run by scripts/test after the Swift tests."""
import json
import time

import pytest
from websockets.sync.client import connect

from wlive_support import Gateway, call, handshake, next_message


@pytest.fixture(scope="module")
def gateway():
    with Gateway(workers=0) as process:
        yield process
        assert process.terminate(timeout=15) == 0


def test_comment_flow_spam_and_close(gateway):
    started = call(gateway, "startLive", channel_title="测试标题", channel_describe="测试描述", cover_url="https://www.baidu.com", ext_json="")
    assert started["code"] == 0
    channel = started["channel"]["channel_id"]
    with connect(gateway.ws) as ws:
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
    with connect(gateway.ws) as ws:
        ws.send(handshake("12345"))
        answer = json.loads(ws.recv(timeout=10))
        assert answer["code"] == 1
        with pytest.raises(Exception):
            ws.recv(timeout=10)
        assert ws.close_code == 4404


def test_ping_pong_and_upstream_refusal(gateway):
    channel = call(gateway, "startLive", channel_title="t", channel_describe="d", cover_url="c")["channel"]["channel_id"]
    with connect(gateway.ws + f"?channel_id={channel}") as ws:
        ws.send(json.dumps({k: v for k, v in json.loads(handshake(channel)).items() if k != "channel_id"}))
        assert json.loads(ws.recv(timeout=10))["code"] == 0
        started = time.monotonic()
        ws.ping(b"x").wait(timeout=10)
        assert time.monotonic() - started < 10
        ws.send("a comment sent up the socket")
        error = next_message(ws)
        assert error["type"] == "error" and error["code"] == 22
