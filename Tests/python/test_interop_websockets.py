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


def test_moderation_reaches_an_independent_client(gateway):
    """Pause, a deletion, a pin and a purge, as a client library other than ours sees them."""
    channel = call(gateway, "startLive", channel_title="t", channel_describe="d", cover_url="c")["channel"]["channel_id"]
    with connect(gateway.ws) as ws:
        ws.send(handshake(channel))
        assert json.loads(ws.recv(timeout=10))["code"] == 0
        first = call(gateway, "sendComment", comment=json.dumps({"channel_id": channel, "content": "第一条"}))
        second = call(gateway, "sendComment", userid="troll", comment=json.dumps({"channel_id": channel, "content": "广告"}))
        assert next_message(ws)["id"] == first["comment_id"] and next_message(ws)["id"] == second["comment_id"]
        assert call(gateway, "deleteComment", channel_id=channel, comment_id=second["comment_id"], reason="spam")["code"] == 0
        deleted = next_message(ws)
        assert deleted == {**deleted, "type": "comment_deleted", "id": second["comment_id"], "seq": 2, "reason": "spam"}
        assert call(gateway, "pinComment", channel_id=channel, comment_id=first["comment_id"])["code"] == 0
        pinned = next_message(ws, skip=("heartbeat",))
        assert pinned["notice"] == "pinned" and pinned["pinned"]["content"] == "第一条"
        assert call(gateway, "banUser", channel_id=channel, target_userid="troll", target_source="2",
                    purge_minutes="5")["code"] == 0
        purged = next_message(ws)
        assert purged["type"] == "comments_purged" and purged["userid"] == "troll" and purged["source"] == 2
        assert call(gateway, "sendComment", userid="troll",
                    comment=json.dumps({"channel_id": channel, "content": "again"}))["code"] == 22
        assert call(gateway, "pauseLive", channel_id=channel)["live_status"] == 105
        status = next_message(ws, skip=("heartbeat",))
        assert status["notice"] == "status" and status["live_status"] == 105
    # A viewer resuming from the start never sees the deleted comment.
    with connect(gateway.ws) as ws:
        epoch = call(gateway, "retrieveComments", channel_id=channel, get_count="1")["epoch"]
        ws.send(handshake(channel, since_seq=0, epoch=str(epoch)))
        ack = json.loads(ws.recv(timeout=10))
        assert ack["code"] == 0 and ack["live_status"] == 105 and ack["pinned"]["id"] == first["comment_id"]
        assert next_message(ws)["seq"] == 1
        gap = next_message(ws)
        assert gap["type"] == "gap" and (gap["from_seq"], gap["to_seq"], gap["reason"]) == (2, 2, "retracted")


def test_a_private_room_closes_a_viewer_without_a_token_with_4401(gateway):
    started = call(gateway, "startLive", channel_title="t", channel_describe="d", cover_url="c", private="1")
    channel = started["channel"]["channel_id"]
    assert started["channel"]["private"] is True
    with connect(gateway.ws) as ws:
        ws.send(handshake(channel))
        refused = json.loads(ws.recv(timeout=10))
        assert refused["code"] == -2
        with pytest.raises(Exception):
            ws.recv(timeout=10)
        assert ws.close_code == 4401
