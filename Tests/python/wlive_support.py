"""Helpers for the Python end-to-end tests: a real `wlive serve` process on ephemeral loopback
ports, the seed's API envelope, the Wlive handshake, and raw sockets for hostile clients."""
import base64
import http.client
import json
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("WLIVE_BINARY", os.path.join(ROOT, ".build", "debug", "wlive"))
COMMON = {"appid": "101", "source": "2", "biz": "wchat", "userid": "123", "sdk_version": "1.0", "version": "1",
          "os_type": "devtools", "os_version": "iOS 10.0.1", "client_type": "WeChat", "client_version": "6.6.3",
          "authtoken": "", "test": "1"}


class Gateway:
    """A `wlive serve` process. `env` adds WLIVE_* settings; `nofile` caps its open files; `store`
    is its SQLite file (by default one in a fresh temporary folder)."""

    def __init__(self, *args, env=None, nofile=None, workers=2, store=None):
        def limit_files():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.store = store or os.path.join(tempfile.mkdtemp(prefix="wlive-store-"), "wlive.sqlite")
        # A file, not a pipe: a gateway that logs a lot must never block on a pipe nobody reads.
        self.log = tempfile.NamedTemporaryFile(prefix="wlive-log-", suffix=".txt")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--ws-port", "0", "--http-port", "0", "--admin-port", "0", "--workers", str(workers), "--log-level", "warning", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True,
            env={**os.environ, "WLIVE_STORE_PATH": self.store, **(env or {})}, preexec_fn=limit_files)
        line = self.process.stdout.readline()
        match = re.search(r"ws://([\d.]+):(\d+)(/\S*), HTTP API on http://[\d.]+:(\d+)", line)
        if not match:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"unexpected start-up line {line!r}; stderr: {self.stderr_text()}")
        self.ws_port, self.http_port = int(match.group(2)), int(match.group(4))
        self.ws = f"ws://127.0.0.1:{self.ws_port}{match.group(3)}"
        self.http = f"http://127.0.0.1:{self.http_port}"
        admin = re.search(r"admin on http://[\d.]+:(\d+)", line)
        self.admin = f"http://127.0.0.1:{admin.group(1)}" if admin else None

    @property
    def pid(self):
        return self.process.pid

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

    def cpu_seconds(self):
        """User plus system CPU time the process has used so far."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def terminate(self, timeout=20):
        """SIGTERM, then the exit status (killing it if it does not stop within `timeout`)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the gateway did not stop within {timeout} s of SIGTERM")

    def kill9(self):
        """SIGKILL: no shutdown, no flush; what was acknowledged must be in the store already."""
        self.process.kill()
        self.process.wait()

    def stderr_text(self):
        """What it logged; only once it has exited."""
        with open(self.log.name, encoding="utf-8", errors="replace") as log:
            return log.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def call(gateway, name, **fields):
    """One API call on a fresh connection; the envelope."""
    body = urllib.parse.urlencode({**COMMON, **fields}).encode()
    with urllib.request.urlopen(f"{gateway.http}/live/{name}", data=body, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.read())


def start_live(gateway, **fields):
    started = call(gateway, "startLive", **{"channel_title": "t", "channel_describe": "d", "cover_url": "c", **fields})
    assert started["code"] == 0, started
    return started["channel"]["channel_id"]


def api_request(name, **fields):
    """One keep-alive POST as bytes, for clients that pipeline or hold a connection."""
    body = urllib.parse.urlencode({**COMMON, **fields}).encode()
    return (f"POST /live/{name} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def handshake(channel_id, **replacing):
    fields = {"user_id": "", "source": 20, "appid": "10026-cat@aSOswgfbEL8", "sdk_version": 1000,
              "version": "j1.0", "os_type": "android", "os_version": "123.45.6", "client_type": "weapp",
              "client_version": "1.0.0", "device_id": "wlive_userid_20_random", "device_type": "meizu",
              "im_toklen": "", "timer_interval": 60, "channel_id": channel_id}
    fields.update(replacing)
    return json.dumps(fields)


def next_message(ws, skip=("heartbeat", "notice")):
    while True:
        message = json.loads(ws.recv(timeout=10))
        if message["type"] not in skip:
            return message


def masked_frame(opcode, payload):
    """One client frame (FIN set, masked), as RFC 6455 requires of clients."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        header = bytes([0x80 | opcode, 0x80 | 126]) + struct.pack("!H", n)
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + struct.pack("!Q", n)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def raw_upgrade(port, receive_buffer=None, extensions=None):
    """A socket that has completed the WebSocket upgrade (and read the 101), nothing more; with
    `extensions`, the 101's head is returned too."""
    s = socket.socket()
    if receive_buffer:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               + (f"Sec-WebSocket-Extensions: {extensions}\r\n" if extensions else "") + "\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        assert chunk, "closed during the upgrade"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return (s, head.decode()) if extensions else s


def send_for(sock, data, seconds):
    """Sends `data` until it is all sent or the peer stops taking it for `seconds`; the bytes sent."""
    sock.setblocking(False)
    sent, stalled_since = 0, None
    view = memoryview(data)
    while sent < len(data):
        try:
            sent += sock.send(view[sent:sent + 65536])
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > seconds:
                break
            time.sleep(0.01)
    return sent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A real `redis-server` on a free loopback port, in a fresh folder, with an append-only file
    synced on every write, so that a restart keeps everything it acknowledged."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.folder = tempfile.mkdtemp(prefix="wlive-redis-")
        self.process = None
        self.start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.log = open(os.path.join(self.folder, "redis.log"), "a")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.folder, "--save", "",
             "--appendonly", "yes", "--appendfsync", "always"], stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if self.command("PING") == "PONG":
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def command(self, *args):
        """One command over a fresh connection (RESP), for the tests to look inside."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"".join([f"*{len(args)}\r\n".encode()] + [f"${len(str(a).encode())}\r\n{a}\r\n".encode() for a in args]))
            return _read_resp(s.makefile("rb"))

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def _read_resp(stream):
    line = stream.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = stream.read(n + 2)[:-2]
        return data.decode()
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_resp(stream) for _ in range(n)]
    raise RuntimeError(f"unexpected RESP line {line!r}")


class KeepAlive:
    """One keep-alive HTTP connection for many API calls."""

    def __init__(self, gateway):
        self.connection = http.client.HTTPConnection("127.0.0.1", gateway.http_port, timeout=10)

    def call(self, name, **fields):
        body = urllib.parse.urlencode({**COMMON, **fields})
        self.connection.request("POST", f"/live/{name}", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = self.connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())

    def comment(self, channel, content, user="123"):
        return self.call("sendComment", userid=user, comment=json.dumps({"channel_id": channel, "content": content}))


def history(gateway, channel, since=0):
    """Every retained comment after `since`, page by page."""
    comments = []
    while True:
        page = call(gateway, "retrieveComments", channel_id=channel, since_seq=str(since), get_count="100")
        assert page["code"] == 0, page
        comments += page["comments"]
        if not page["has_more"]:
            return comments, page
        since = page["comments"][-1]["seq"]
