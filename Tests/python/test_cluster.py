"""Several `wlive serve` processes on one real `redis-server` (cluster.redis_url): one room, any
node, every viewer, in seq order; a node killed and its viewers resumed on another; Redis
restarted and stopped under load with nothing acknowledged lost; limits and counts cluster-wide."""
import contextlib
import json
import os
import subprocess
import threading
import time

from websockets.sync.client import connect

from wlive_support import Gateway, KeepAlive, RedisServer, call, handshake, history, start_live


def cluster_env(redis, name="t", **more):
    """Nodes of one cluster; the per-user rate limit lifted unless a test sets it."""
    return {"WLIVE_CLUSTER_REDIS_URL": redis.url, "WLIVE_CLUSTER_NAME": name,
            "WLIVE_SPAM_RATE_LIMIT_COUNT": "100000", **more}


class Viewer(threading.Thread):
    """A WebSocket viewer on its own thread: every comment seq and every gap it was sent, until
    it has seen `until` (or the socket closes, or `deadline` passes)."""

    def __init__(self, gateway, channel, until, since=None, epoch=None, deadline=60):
        super().__init__(daemon=True)
        self.gateway, self.channel, self.until, self.deadline = gateway, channel, until, time.time() + deadline
        self.since, self.epoch = since, epoch
        self.seqs, self.gaps, self.kinds, self.closed = [], [], [], False
        self.ready = threading.Event()

    def run(self):
        fields = {} if self.since is None else {"since_seq": self.since, "epoch": str(self.epoch)}
        try:
            with connect(self.gateway.ws, open_timeout=10) as ws:
                ws.send(handshake(self.channel, **fields))
                ack = json.loads(ws.recv(timeout=10))
                assert ack["code"] == 0, ack
                self.epoch = ack["epoch"]
                self.ready.set()
                while self.last < self.until and time.time() < self.deadline:
                    try:
                        message = json.loads(ws.recv(timeout=1))
                    except TimeoutError:
                        continue
                    self.kinds.append(message["type"] if message["type"] != "notice" else message["notice"])
                    if message["type"] == "comment":
                        self.seqs.append(message["seq"])
                    elif message.get("notice") == "gap":
                        self.gaps.append((message["from_seq"], message["to_seq"], message["reason"]))
                    elif message["type"] == "channel_closed":
                        return
        except Exception:
            self.closed = True
        finally:
            self.ready.set()

    @property
    def last(self):
        ends = ([self.seqs[-1]] if self.seqs else []) + [gap[1] for gap in self.gaps]
        return max(ends, default=self.since or 0)


@contextlib.contextmanager
def two_nodes_and_a_viewer():
    """Redis, two nodes with a 1 s command timeout, a room started on the first and a viewer of
    it on the second."""
    with RedisServer() as redis:
        env = cluster_env(redis, WLIVE_CLUSTER_COMMAND_TIMEOUT="1")
        with Gateway(env=env) as one, Gateway(env=env) as two:
            channel = start_live(one)
            viewer = Viewer(two, channel, until=10**9, deadline=60)
            viewer.start()
            assert viewer.ready.wait(10)
            yield redis, one, two, channel, viewer


def post_all(gateway, channel, contents, user="123"):
    """Posts on one keep-alive connection; the answers in order."""
    api = KeepAlive(gateway)
    return [api.comment(channel, content, user=user) for content in contents]


def test_three_nodes_one_room_every_viewer_every_comment_once_in_order_and_counts_agree():
    with RedisServer() as redis:
        env = cluster_env(redis)
        with Gateway(env=env) as one, Gateway(env=env) as two, Gateway(env=env) as three:
            nodes = [one, two, three]
            channel = start_live(one)
            viewers = [Viewer(node, channel, until=300) for node in nodes for _ in range(4)]
            for viewer in viewers:
                viewer.start()
            for viewer in viewers:
                assert viewer.ready.wait(10) and not viewer.closed
            # Round-robin over the three nodes, the three posting at once.
            answers = [None] * 3
            posters = [
                threading.Thread(target=lambda i=i: answers.__setitem__(
                    i, post_all(nodes[i], channel, [f"n{i}-{k}" for k in range(100)], user=f"poster{i}")))
                for i in range(3)]
            for poster in posters:
                poster.start()
            for poster in posters:
                poster.join(60)
            acknowledged = [answer["seq"] for node_answers in answers for answer in node_answers if answer["code"] == 0]
            assert sorted(acknowledged) == list(range(1, 301)), answers
            for viewer in viewers:
                viewer.join(60)
                assert viewer.seqs == list(range(1, 301)) and viewer.gaps == [], (viewer.gateway.ws, viewer.seqs[:20])
            # Watchers joined on different nodes count once each, on every node.
            for index, node in enumerate(nodes):
                assert call(node, "joinLive", channel_id=channel, userid=f"watcher{index}")["code"] == 0
            deadline = time.time() + 10
            while time.time() < deadline:
                rooms = [call(node, "retrieveChannel", channel_ids=json.dumps([channel]))["channel"][0] for node in nodes]
                if all(room["online_num"] == 3 and room["total_num"] == 3 for room in rooms):
                    break
                time.sleep(0.05)
            assert all(room["online_num"] == 3 and room["total_num"] == 3 for room in rooms), rooms
            lists = [call(node, "retrieveWatcherList", channel_id=channel, get_count="10", order_by_type="asc", last_source="-1", last_user_id="-1")["view_user"] for node in nodes]
            assert lists[0] == lists[1] == lists[2] and len(lists[0]) == 3, lists
            # Any node stops it: every viewer everywhere hears, and every node says it is over.
            for viewer in [Viewer(node, channel, until=10**9) for node in nodes]:
                viewers.append(viewer)
                viewer.start()
                viewer.ready.wait(10)
            assert call(three, "stopLive", channel_id=channel)["code"] == 0
            for viewer in viewers[-3:]:
                viewer.join(10)
                assert not viewer.is_alive() and viewer.kinds[-1] == "channel_closed", viewer.kinds[-3:]
            for node in nodes:
                deadline = time.time() + 5
                while call(node, "retrieveChannel", channel_ids=json.dumps([channel]))["channel"][0]["status"] != "CLOSED":
                    assert time.time() < deadline, node.http
                    time.sleep(0.05)
                assert post_all(node, channel, ["late"])[0]["code"] == 2


def test_a_node_killed_mid_stream_its_viewers_resume_on_another_and_lose_nothing():
    with RedisServer() as redis:
        env = cluster_env(redis)
        with Gateway(env=env) as one, Gateway(env=env) as two, Gateway(env=env) as three:
            channel = start_live(one)
            doomed = [Viewer(two, channel, until=400) for _ in range(3)]
            for viewer in doomed:
                viewer.start()
                assert viewer.ready.wait(10)
            acknowledged = []

            def post():
                api = [KeepAlive(one), KeepAlive(three)]
                for k in range(400):
                    answer = api[k % 2].comment(channel, f"c{k}", user=f"u{k % 7}")
                    assert answer["code"] == 0, answer
                    acknowledged.append(answer["seq"])
                    time.sleep(0.002)

            poster = threading.Thread(target=post)
            poster.start()
            deadline = time.time() + 30
            while len(acknowledged) < 120:
                assert poster.is_alive() and time.time() < deadline, acknowledged[-3:]
                time.sleep(0.01)
            two.kill9()
            for viewer in doomed:
                viewer.join(10)
            # Each resumes on node 3 from the last seq it saw, with the room's epoch.
            resumed = [Viewer(three, channel, until=400, since=viewer.last, epoch=viewer.epoch) for viewer in doomed]
            for viewer in resumed:
                viewer.start()
            poster.join(60)
            assert sorted(acknowledged) == list(range(1, 401))
            for before, after in zip(doomed, resumed):
                after.join(60)
                assert before.seqs + after.seqs == list(range(1, 401)), (before.seqs[-3:], after.seqs[:3], after.gaps)
                assert 0 < len(before.seqs) < 400 and after.gaps == []


def test_redis_restarted_mid_stream_answers_100_meanwhile_and_loses_nothing_acknowledged():
    with two_nodes_and_a_viewer() as (redis, one, two, channel, viewer):
        api = KeepAlive(one)
        answers = []
        restarted = False
        while sum(1 for a in answers if a["code"] == 0) < 150:
            answers.append(api.comment(channel, f"c{len(answers)}", user=f"u{len(answers) % 9}"))
            if len(answers) == 60 and not restarted:
                redis.stop()
                outage = [api.comment(channel, f"down{k}", user="d") for k in range(3)]
                assert [a["code"] for a in outage] == [100, 100, 100], outage
                answers += outage
                redis.start()
                restarted = True
            assert len(answers) < 2000, "the cluster did not come back after Redis restarted"
            time.sleep(0.002)
        acknowledged = [a["seq"] for a in answers if a["code"] == 0]
        assert len(set(acknowledged)) == len(acknowledged) and acknowledged == sorted(acknowledged)
        kept, _ = history(two, channel)
        kept_seqs = {c["seq"] for c in kept}
        assert set(acknowledged) <= kept_seqs
        # The viewer on node 2 got every acknowledged comment once, in order, or was told.
        viewer.until = max(kept_seqs)
        viewer.join(30)
        assert viewer.seqs == sorted(set(viewer.seqs))
        told = set(viewer.seqs) | {s for a, b, _ in viewer.gaps for s in range(a, b + 1)}
        assert set(acknowledged) <= set(viewer.seqs), (sorted(set(acknowledged) - set(viewer.seqs))[:10], viewer.gaps)
        assert told >= set(range(1, max(kept_seqs) + 1))


def test_redis_stopped_for_5_seconds_refuses_with_100_in_bounded_time_then_serves_again():
    with two_nodes_and_a_viewer() as (redis, one, two, channel, viewer):
        api = KeepAlive(one)
        acknowledged = [a["seq"] for a in post_all(one, channel, [f"a{k}" for k in range(20)]) if a["code"] == 0]
        assert len(acknowledged) == 20
        os.kill(redis.process.pid, 19)  # SIGSTOP
        stopped_at = time.time()
        during = []
        while time.time() - stopped_at < 5:
            started = time.time()
            answer = api.comment(channel, f"s{len(during)}", user=f"s{len(during)}")
            during.append((answer["code"], time.time() - started))
        os.kill(redis.process.pid, 18)  # SIGCONT
        assert during and all(code == 100 for code, _ in during), during
        assert max(seconds for _, seconds in during) < 3, during
        deadline = time.time() + 15
        after = []
        while len(after) < 20:
            answer = api.comment(channel, f"b{len(after)}", user=f"b{len(after)}")
            if answer["code"] == 0:
                after.append(answer["seq"])
            assert time.time() < deadline, ("not serving again after SIGCONT", answer, one.process.poll())
        acknowledged += after
        kept, _ = history(two, channel)
        assert set(acknowledged) <= {c["seq"] for c in kept}
        viewer.until = max(c["seq"] for c in kept)
        viewer.join(30)
        assert set(acknowledged) <= set(viewer.seqs) and viewer.seqs == sorted(set(viewer.seqs))


def test_spam_limits_and_likes_hold_cluster_wide():
    with RedisServer() as redis:
        env = cluster_env(redis, WLIVE_SPAM_RATE_LIMIT_COUNT="5", WLIVE_SPAM_RATE_LIMIT_WINDOW="60")
        with Gateway(env=env) as one, Gateway(env=env) as two, Gateway(env=env) as three:
            nodes = [one, two, three]
            channel = start_live(one)
            codes = []
            for k in range(12):
                codes.append(post_all(nodes[k % 3], channel, [f"hop {k}"], user="hopper")[0]["code"])
                time.sleep(0.02)
            # Five in the window however the user hops between nodes.
            assert codes[:5] == [0] * 5 and set(codes[5:]) == {303}, codes
            # Likes taken at once on two nodes both count, on every node and in Redis.
            def like(node, count):
                api = KeepAlive(node)
                for _ in range(50):
                    assert api.call("sendLike", channel_id=channel, count=str(count))["code"] == 0
            likers = [threading.Thread(target=like, args=(one, 2)), threading.Thread(target=like, args=(two, 3))]
            for liker in likers:
                liker.start()
            for liker in likers:
                liker.join(30)
            deadline = time.time() + 5
            while True:
                totals = [call(node, "retrieveChannel", channel_ids=json.dumps([channel]))["channel"][0]["total_likes"]
                          for node in nodes]
                if totals == [250] * 3 or time.time() > deadline:
                    break
                time.sleep(0.05)
            assert totals == [250] * 3
        # A node started afterwards reads the room from Redis, with its likes and its numbering.
        with Gateway(env=env) as late:
            room = call(late, "retrieveChannel", channel_ids=json.dumps([channel]))["channel"][0]
            assert room["total_likes"] == 250 and room["status"] == "NORMAL"
            assert post_all(late, channel, ["from the late node"], user="late")[0]["seq"] == 6


def test_history_max_age_applies_to_the_redis_history():
    with RedisServer() as redis:
        with Gateway(env=cluster_env(redis, WLIVE_HISTORY_MAX_AGE="2")) as one:
            channel = start_live(one)
            assert [a["code"] for a in post_all(one, channel, [f"old{k}" for k in range(5)])] == [0] * 5
            kept, _ = history(one, channel)
            assert [c["seq"] for c in kept] == [1, 2, 3, 4, 5]
            time.sleep(2.5)
            fresh = post_all(one, channel, ["fresh"])[0]
            assert fresh["code"] == 0 and fresh["seq"] == 6
            deadline = time.time() + 5
            while [c["seq"] for c in history(one, channel)[0]] != [6]:
                assert time.time() < deadline, history(one, channel)[0]
                time.sleep(0.1)
            # The numbering is the counter's, not the stream's: it goes on.
            assert post_all(one, channel, ["later"])[0]["seq"] == 7


def test_a_redis_that_lost_its_data_refuses_comments_instead_of_numbering_them_again():
    """Redis without persistence, restarted: the room's seq would start again at 1, below what
    every node delivered, so the comment would be acknowledged and reach no one. It is refused."""
    with two_nodes_and_a_viewer() as (redis, one, two, channel, viewer):
        assert [a["code"] for a in post_all(one, channel, ["a", "b"])] == [0, 0]
        subprocess.run(["redis-cli", "-p", str(redis.port), "flushall"], check=True, capture_output=True, timeout=10)
        answers = post_all(one, channel, ["c", "d"]) + post_all(two, channel, ["e"])
        assert [a["code"] for a in answers] == [1, 1, 1], answers
        viewer.until = 2
        viewer.join(10)
        assert viewer.seqs == [1, 2]
