"""Durability of a real `wlive serve` process on its default SQLite store: what was answered
with code 0 survives kill -9, numbering goes on where it stopped, viewers resume with
since_seq, and a store that is unreadable or full is refused clearly, never lost."""
import json
import os
import subprocess
import tempfile
import time

from websockets.sync.client import connect

from wlive_support import BINARY, ROOT, Gateway, KeepAlive, call, handshake, history, next_message, start_live


def test_what_was_acknowledged_survives_kill_9_and_numbering_goes_on():
    first = Gateway()
    channel = start_live(first, channel_title="直播间", ext_json='{"k":1}')
    api = KeepAlive(first)
    for user in ("v1", "v2", "v3"):
        assert api.call("joinLive", channel_id=channel, userid=user, ext_json=f'{{"u":"{user}"}}')["code"] == 0
    assert api.call("leaveLive", channel_id=channel, userid="v3")["code"] == 0
    for index in range(1, 501):
        answer = api.comment(channel, f"评论 {index}", user=f"poster{index}")
        assert answer["code"] == 0 and answer["seq"] == index, answer
    before = call(first, "retrieveChannel", channel_ids=json.dumps([channel]))["channel"][0]
    first.kill9()

    with Gateway(store=first.store) as second:
        after = call(second, "retrieveChannel", channel_ids=json.dumps([channel]))["channel"][0]
        assert after == before
        assert after["status"] == "NORMAL" and after["online_num"] == 2 and after["total_num"] == 3
        watchers = call(second, "retrieveWatcherList", channel_id=channel, get_count="10", order_by_type="asc",
                        last_source="-1", last_user_id="-1")
        assert [w["userid"] for w in watchers["view_user"]] == ["v1", "v2"]
        assert watchers["view_user"][0]["ext_json"] == '{"u":"v1"}'
        comments, page = history(second, channel)
        assert [c["seq"] for c in comments] == list(range(1, 501))
        assert comments[41]["content"] == "评论 42" and page["last_seq"] == 500

        # A viewer that saw 250 resumes: 251-500 from the store, then the live stream.
        with connect(second.ws) as ws:
            ws.send(handshake(channel, since_seq=250, epoch=str(page["epoch"])))
            ack = json.loads(ws.recv(timeout=10))
            assert ack["code"] == 0 and ack["resumed"] is True and ack["replayed"] == 250, ack
            assert ack["epoch"] == page["epoch"] and ack["last_seq"] == 500
            replayed = [next_message(ws)["seq"] for _ in range(250)]
            assert replayed == list(range(251, 501))
            api = KeepAlive(second)
            answer = api.comment(channel, "after the restart")
            assert answer["code"] == 0 and answer["seq"] == 501, answer
            live = next_message(ws)
            assert live["seq"] == 501 and live["content"] == "after the restart"


def test_retrieve_comments_checks_its_fields():
    with Gateway() as gateway:
        channel = start_live(gateway)
        assert call(gateway, "retrieveComments", channel_id=channel, get_count="0")["code"] == -4
        assert call(gateway, "retrieveComments", channel_id=channel, get_count="101")["code"] == -4
        assert call(gateway, "retrieveComments", channel_id=channel, get_count="5", since_seq="-1")["code"] == -4
        assert call(gateway, "retrieveComments", channel_id="12345", get_count="5")["code"] == 1
        empty = call(gateway, "retrieveComments", channel_id=channel, get_count="5")
        assert empty["code"] == 0 and empty["comments"] == [] and empty["last_seq"] == 0 and empty["has_more"] is False


def test_a_store_that_is_not_a_store_stops_start_up_with_one_line_naming_it():
    folder = tempfile.mkdtemp(prefix="wlive-corrupt-")
    path = os.path.join(folder, "wlive.sqlite")
    garbage = os.urandom(16384)
    with open(path, "wb") as file:
        file.write(garbage)
    result = subprocess.run(
        [BINARY, "serve", "--ws-port", "0", "--http-port", "0", "--admin-port", "0", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, "WLIVE_STORE_PATH": path}, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and path in lines[0], result.stderr
    with open(path, "rb") as file:
        assert file.read() == garbage, "the file was changed"


def fill_until_refused(gateway, posts):
    """Posts `posts` large comments to a new room until the store refuses them: every answer is
    0 or 100, some of each, and the acknowledged seqs have no hole (a refused comment gave its
    seq back). Returns the room and the acknowledged seqs."""
    channel = start_live(gateway)
    api = KeepAlive(gateway)
    acknowledged, refused = [], 0
    for index in range(posts):
        answer = api.comment(channel, f"{index} " + "满" * 1500, user=f"poster{index}")
        if answer["code"] == 0:
            acknowledged.append(answer["seq"])
        else:
            assert answer["code"] == 100, answer
            refused += 1
    assert acknowledged and refused, (len(acknowledged), refused)
    assert acknowledged == list(range(1, len(acknowledged) + 1))
    return channel, acknowledged


def assert_kept_after_kill_9(gateway, channel, acknowledged):
    """kill -9, restart on the same store: every acknowledged comment is there."""
    gateway.kill9()
    with Gateway(store=gateway.store) as again:
        comments, _ = history(again, channel)
        assert [c["seq"] for c in comments] == acknowledged


def test_a_full_store_answers_100_and_loses_nothing_it_acknowledged():
    gateway = Gateway(env={"WLIVE_STORE_MAX_BYTES": "196608", "WLIVE_COMMENT_MAX_LENGTH": "2000"})
    channel, acknowledged = fill_until_refused(gateway, 400)
    # Still serving: reads work, and the room is there.
    assert call(gateway, "retrieveChannel", channel_ids=json.dumps([channel]))["code"] == 0
    assert_kept_after_kill_9(gateway, channel, acknowledged)


def test_pipelined_comments_on_several_connections_are_all_answered_in_order():
    # Far more than the 32 answers a connection may await, and enough that the gateway pauses
    # reading: answers that wait for the store must serve the queued requests and resume
    # reading when they complete.
    import socket
    import threading
    from wlive_support import api_request
    with Gateway() as gateway:
        channel = start_live(gateway)
        answers = {}

        def post(connection_number):
            requests = b"".join(
                api_request("sendComment", userid=f"poster{connection_number}-{index}",
                            comment=json.dumps({"channel_id": channel, "content": f"{connection_number}/{index}"}))
                for index in range(300))
            received = b""
            with socket.create_connection(("127.0.0.1", gateway.http_port), timeout=10) as connection:
                connection.sendall(requests)
                while received.count(b"HTTP/1.1 200") < 300 or not received.endswith(b"}"):
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    received += chunk
            answers[connection_number] = [json.loads(part.split(b"\r\n\r\n", 1)[1])
                                          for part in received.split(b"HTTP/1.1 ")[1:]]

        threads = [threading.Thread(target=post, args=(number,)) for number in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for number in range(4):
            seqs = [body["seq"] for body in answers[number]]
            assert len(seqs) == 300 and seqs == sorted(seqs), (number, len(seqs))
        assert sorted(body["seq"] for bodies in answers.values() for body in bodies) == list(range(1, 1201))


def test_a_viewer_may_resume_with_the_url_query():
    # websockets, an independent client; the resume point in the URL, the handshake unchanged.
    with Gateway() as gateway:
        channel = start_live(gateway)
        api = KeepAlive(gateway)
        for index in range(1, 11):
            assert api.comment(channel, f"c{index}", user=f"poster{index}")["code"] == 0
        epoch = call(gateway, "retrieveComments", channel_id=channel, get_count="1")["epoch"]
        with connect(f"{gateway.ws}?channel_id={channel}&since_seq=7&epoch={epoch}") as ws:
            ws.send(handshake(channel))
            ack = json.loads(ws.recv(timeout=10))
            assert ack["resumed"] is True and ack["replayed"] == 3 and ack["epoch"] == epoch, ack
            assert [next_message(ws)["seq"] for _ in range(3)] == [8, 9, 10]
        # Another epoch: not a resume; the room's history from its first comment.
        with connect(f"{gateway.ws}?since_seq=7&epoch={epoch + 1}") as ws:
            ws.send(handshake(channel))
            ack = json.loads(ws.recv(timeout=10))
            assert ack["resumed"] is False and ack["replayed"] == 10, ack
            assert [next_message(ws)["seq"] for _ in range(10)] == list(range(1, 11))


def test_a_real_full_disk_answers_100_and_loses_nothing_it_acknowledged():
    # A 2 MiB tmpfs as the store's disk; where this machine does not let us mount one, skip.
    import pytest
    folder = tempfile.mkdtemp(prefix="wlive-full-disk-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", folder], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        gateway = Gateway(store=os.path.join(folder, "wlive.sqlite"), env={"WLIVE_COMMENT_MAX_LENGTH": "2000"})
        channel, acknowledged = fill_until_refused(gateway, 600)
        # Restarted on the same full disk.
        assert_kept_after_kill_9(gateway, channel, acknowledged)
    finally:
        subprocess.run(["umount", "-l", folder], capture_output=True)


def test_room_states_and_likes_survive_kill_9_and_an_abnormal_grace_runs_on():
    """The life-cycle keeps its clocks in the store: a room left abnormal before a crash still
    ends after live.abnormal_grace, counted from when it became abnormal, not from the restart."""
    first = Gateway(env={"WLIVE_LIVE_ANCHOR_TIMEOUT": "1", "WLIVE_LIVE_ABNORMAL_GRACE": "4"})
    paused = start_live(first)
    silent = start_live(first)
    api = KeepAlive(first)
    for _ in range(40):
        assert api.call("sendLike", channel_id=paused, count="25")["code"] == 0
    assert api.call("pauseLive", channel_id=paused)["live_status"] == 105
    assert api.call("anchorHeartbeat", channel_id=silent)["live_status"] == 101
    deadline = time.monotonic() + 10
    while call(first, "retrieveChannel", channel_ids=json.dumps([silent]))["channel"][0]["live_status"] != 106:
        assert time.monotonic() < deadline, "the silent anchor's room never became abnormal"
        time.sleep(0.2)
    # retrieveChannel reads the state before its commit; a call that records a change answers
    # after its commit, and commits keep their order: after it, the abnormal state is durable.
    start_live(first)
    first.kill9()

    with Gateway(store=first.store, env={"WLIVE_LIVE_ABNORMAL_GRACE": "4"}) as second:
        rooms = {c["channel_id"]: c for c in call(second, "retrieveChannel", channel_ids=json.dumps([paused, silent]))["channel"]}
        assert rooms[paused]["live_status"] == 105 and rooms[paused]["total_likes"] == 1000
        assert rooms[paused]["status"] == "NORMAL"
        assert call(second, "sendComment", comment=json.dumps({"channel_id": paused, "content": "x"}))["code"] == 2
        deadline = time.monotonic() + 10
        while (room := call(second, "retrieveChannel", channel_ids=json.dumps([silent]))["channel"][0])["live_status"] != 103:
            assert time.monotonic() < deadline, room
            time.sleep(0.2)
        assert room["reason"] == "abnormal timeout" and room["status"] == "CLOSED"
