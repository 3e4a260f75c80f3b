"""The fallbacks for clients that cannot hold a WebSocket, against a real `wlive serve`: Server-
Sent Events on `GET /live/stream` (on the HTTP API port, and on the WebSocket port) and the long-
poll `POST /live/syncComments`, side by side with WebSocket viewers of the same room."""
import json
import socket
import threading
import time
import urllib.parse

import pytest
from websockets.sync.client import connect

from wlive_support import COMMON, Gateway, call, handshake, next_message, start_live


@pytest.fixture(scope="module")
def gateway():
    with Gateway(workers=2, env={"WLIVE_POLL_MAX_WAIT": "3"}) as process:
        yield process
        assert process.terminate(timeout=15) == 0


class EventStream:
    """A raw SSE client: the response head, then records parsed as they arrive."""

    def __init__(self, port, channel, **query):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        headers = "".join(f"{name}: {value}\r\n" for name, value in query.pop("headers", {}).items())
        target = "/live/stream?" + urllib.parse.urlencode({"channel_id": channel, **query})
        self.sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n{headers}\r\n".encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            assert chunk, "closed before the head"
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        self.head = head.decode()
        self.status = int(self.head.split()[1])

    def body(self):
        """The rest of a refusal's body, to the close."""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                return self.buffer.decode()
            self.buffer += chunk

    def record(self, skip=("heartbeat", "notice")):
        while True:
            while b"\n\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return None
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\n\n", 1)
            fields = dict(line.split(": ", 1) for line in raw.decode().split("\n") if not line.startswith(":"))
            fields["json"] = json.loads(fields["data"])
            if fields["event"] not in skip:
                return fields

    def close(self):
        self.sock.close()


def post(gateway, channel, content):
    # A user of its own per comment: the per-user rate limit is not what these tests are about.
    post.count = getattr(post, "count", 0) + 1
    answer = call(gateway, "sendComment", userid=f"poster{post.count}",
                  comment=json.dumps({"channel_id": channel, "content": content}))
    assert answer["code"] == 0, answer
    return answer


def sync(gateway, channel, since, **fields):
    return call(gateway, "syncComments", channel_id=channel, since_seq=str(since), **fields)


@pytest.mark.parametrize("port", ["http_port", "ws_port"])
def test_sse_long_poll_and_websocket_viewers_get_the_same_comments_in_order(gateway, port):
    channel = start_live(gateway)
    stream = EventStream(getattr(gateway, port), channel)
    assert stream.status == 200 and "content-type: text/event-stream" in stream.head.lower()
    ack = stream.record()
    assert ack["event"] == "handshake" and ack["json"]["code"] == 0 and "id" not in ack
    with connect(gateway.ws) as ws:
        ws.send(handshake(channel))
        assert json.loads(ws.recv(timeout=10))["code"] == 0
        polled = []
        def poll():
            since, cursor = 0, None
            while len(polled) < 20:
                answer = sync(gateway, channel, since, **({"cursor": str(cursor)} if cursor is not None else {}))
                assert answer["code"] == 0, answer
                polled.extend(m["content"] for m in answer["messages"] if m["type"] == "comment")
                since, cursor = answer["last_seq"], answer.get("cursor")
        poller = threading.Thread(target=poll)
        poller.start()
        contents = [f"评论 {index}" for index in range(20)]
        for content in contents:
            post(gateway, channel, content)
        poller.join(timeout=30)
        assert not poller.is_alive()
        records = [stream.record() for _ in contents]
        assert [r["json"]["content"] for r in records] == contents
        assert [r["event"] for r in records] == ["comment"] * 20 and [int(r["id"]) for r in records] == list(range(1, 21))
        assert [next_message(ws)["content"] for _ in contents] == contents
        assert polled == contents
    assert call(gateway, "stopLive", channel_id=channel)["code"] == 0
    closed = stream.record()
    assert closed["event"] == "channel_closed"
    assert stream.record() is None  # the server ends the stream
    stream.close()


def test_sse_resumes_from_last_event_id_without_loss(gateway):
    channel = start_live(gateway)
    stream = EventStream(gateway.http_port, channel)
    stream.record()
    for index in range(1, 6):
        post(gateway, channel, f"before {index}")
    seen = [stream.record() for _ in range(3)]
    last_id = seen[-1]["id"]
    stream.close()  # cut after three of five
    for index in range(6, 9):
        post(gateway, channel, f"during {index}")
    resumed = EventStream(gateway.http_port, channel, headers={"Last-Event-ID": last_id})
    ack = resumed.record()
    assert ack["json"]["code"] == 0 and ack["json"]["resumed"] is True
    rest = [resumed.record()["json"]["content"] for _ in range(5)]
    assert rest == ["before 4", "before 5", "during 6", "during 7", "during 8"]
    post(gateway, channel, "live again")
    assert resumed.record()["json"]["content"] == "live again"
    resumed.close()


def test_a_refused_stream_gets_an_http_status_and_the_seed_code(gateway):
    stream = EventStream(gateway.http_port, "12345")
    assert stream.status == 404
    assert json.loads(stream.body())["code"] == 1
    bad = EventStream(gateway.http_port, "abc")
    assert bad.status == 400 and json.loads(bad.body())["code"] == -4


def test_api_calls_before_the_stream_on_one_keep_alive_connection_are_answered_first(gateway):
    channel = start_live(gateway)
    body = urllib.parse.urlencode({**COMMON, "channel_ids": json.dumps([channel])}).encode()
    sock = socket.create_connection(("127.0.0.1", gateway.http_port), timeout=10)
    sock.sendall(b"POST /live/retrieveChannel HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
                 + f"GET /live/stream?channel_id={channel} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = b""
    while data.count(b"HTTP/1.1 200") < 2 or b"event: handshake" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    first, second = data.index(b"application/json"), data.index(b"text/event-stream")
    assert first < second
    sock.close()


def test_a_long_poll_is_held_until_a_comment_and_answers_within_max_wait(gateway):
    channel = start_live(gateway)
    post(gateway, channel, "one")
    started = time.monotonic()
    empty = sync(gateway, channel, 1)
    assert 2.5 < time.monotonic() - started < 6  # poll.max_wait is 3 s here
    assert empty["messages"] == [] and empty["last_seq"] == 1 and empty["pull_interval"] == 0
    answers = []
    poller = threading.Thread(target=lambda: answers.append(sync(gateway, channel, 1)))
    poller.start()
    time.sleep(0.5)
    assert poller.is_alive()
    post(gateway, channel, "two")
    poller.join(timeout=5)
    assert [m["content"] for m in answers[0]["messages"]] == ["two"] and answers[0]["last_seq"] == 2
    assert sync(gateway, channel, 0)["last_seq"] == 2
    refused = call(gateway, "syncComments", channel_id=channel)
    assert refused["code"] == -4


def test_a_poll_held_past_the_idle_timeout_is_still_answered():
    with Gateway(workers=1, env={"WLIVE_HTTP_REQUEST_TIMEOUT": "1", "WLIVE_POLL_MAX_WAIT": "3"}) as short:
        channel = start_live(short)
        started = time.monotonic()
        answer = sync(short, channel, 0)
        assert answer["code"] == 0 and answer["messages"] == [] and time.monotonic() - started > 2.5
        assert short.terminate(timeout=15) == 0


def test_a_stalled_sse_reader_gets_the_sockets_slow_reader_policy():
    env = {"WLIVE_FANOUT_SLOW_CONSUMER_POLICY": "skip", "WLIVE_FANOUT_MAX_PENDING_BYTES": "4096",
           "WLIVE_FANOUT_SEND_BUFFER": "4096", "WLIVE_COMMENT_MAX_LENGTH": "1000"}
    with Gateway(workers=1, env=env) as slow:
        channel = start_live(slow)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", slow.http_port))
        sock.sendall(f"GET /live/stream?channel_id={channel} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.5)  # acknowledged; now it stops reading
        published = 300
        for index in range(1, published + 1):
            answer = call(slow, "sendComment", userid=f"u{index}",
                          comment=json.dumps({"channel_id": channel, "content": f"{index} " + "慢" * 300}))
            assert answer["code"] == 0, answer
        sock.settimeout(0.5)
        data, comments, missed = b"", [], 0
        def read_records():
            nonlocal data, missed
            chunk = sock.recv(1 << 16)
            assert chunk, "the stream ended"
            data += chunk
            *records, data = data.split(b"\n\n")
            for record in records:
                if b"event: comment" in record:
                    comments.append(json.loads(record.split(b"data: ", 1)[1])["content"])
                elif b"event: gap" in record:
                    gap = json.loads(record.split(b"data: ", 1)[1])
                    assert gap["reason"] == "slow"
                    missed += gap["missed"]
        while True:  # reads until the stream is quiet: what was queued, and the gap
            try:
                read_records()
            except socket.timeout:
                break
        post(slow, channel, "after the stall")
        sock.settimeout(10)
        while not comments or comments[-1] != "after the stall":
            read_records()
        sock.close()
        numbers = [int(text.split(" ", 1)[0]) for text in comments[:-1]]
        assert missed > 0 and numbers == sorted(set(numbers))
        assert len(numbers) + missed == published
        assert slow.terminate(timeout=15) == 0


def test_a_poller_gets_the_notices_too_in_order_and_a_deleted_comment_as_the_sockets_do(gateway):
    channel = start_live(gateway)
    first = sync(gateway, channel, 0)
    place = {"since": first["last_seq"], "cursor": first["cursor"]}
    def poll():
        answer = sync(gateway, channel, place["since"], cursor=str(place["cursor"]))
        place.update(since=answer["last_seq"], cursor=answer["cursor"])
        return answer["messages"]
    held = []
    poller = threading.Thread(target=lambda: held.extend(poll()))
    poller.start()
    time.sleep(0.3)
    posted = post(gateway, channel, "要删的评论")
    poller.join(timeout=10)
    assert [m["content"] for m in held] == ["要删的评论"]  # a live poller gets the comment itself
    assert call(gateway, "pauseLive", channel_id=channel)["code"] == 0
    assert call(gateway, "deleteComment", channel_id=channel, comment_id=posted["comment_id"], reason="spam")["code"] == 0
    assert call(gateway, "resumeLive", channel_id=channel)["code"] == 0
    got = []
    while len(got) < 3:
        got += poll()
    kinds = [m.get("notice") or m["type"] for m in got]
    assert kinds == ["status", "comment_deleted", "status"], kinds
    assert got[0]["live_status"] == 105 and got[1]["seq"] == 1 and got[2]["live_status"] == 101
    # From the start again (no cursor), the deleted comment is a retracted gap, as for a resumer.
    again = sync(gateway, channel, 0)
    assert again["messages"][0]["type"] == "gap" and again["messages"][0]["reason"] == "retracted"
