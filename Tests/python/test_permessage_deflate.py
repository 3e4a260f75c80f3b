"""permessage-deflate (RFC 7692) against a real `wlive serve`, with Python's `websockets`, which
negotiates it by default, and with a raw socket that reads the compressed frame itself."""
import json
import struct
import urllib.request
import zlib

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from wlive_support import Gateway, call, handshake, masked_frame, next_message, raw_upgrade, start_live


@pytest.fixture(scope="module")
def gateway():
    with Gateway(workers=2, env={"WLIVE_COMMENT_MAX_LENGTH": "1000"}) as process:
        yield process
        assert process.terminate(timeout=15) == 0


def read_frame(sock):
    """One server frame: (first byte, payload)."""
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            assert chunk, "closed"
            data += chunk
        return data
    first, second = exactly(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", exactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", exactly(8))[0]
    return first, exactly(length)


def test_websockets_negotiates_deflate_and_gets_every_comment(gateway):
    channel = start_live(gateway)
    with connect(gateway.ws) as deflating, connect(gateway.ws, compression=None) as plain:
        extensions = [type(e).__name__ for e in deflating.protocol.extensions]
        assert extensions == ["PerMessageDeflate"] and plain.protocol.extensions == []
        for ws in (deflating, plain):
            ws.send(handshake(channel))
            assert json.loads(ws.recv(timeout=10))["code"] == 0
        contents = ["主播好！" * 30, "short", "x" * 500]
        for content in contents:
            answer = call(gateway, "sendComment", comment=json.dumps({"channel_id": channel, "content": content}))
            assert answer["code"] == 0, answer
        for ws in (deflating, plain):
            got = [next_message(ws) for _ in contents]
            assert [m["content"] for m in got] == contents and [m["seq"] for m in got] == [1, 2, 3]


def test_a_broadcast_arrives_compressed_and_a_small_one_plain(gateway):
    channel = start_live(gateway)
    sock, head = raw_upgrade(gateway.ws_port, extensions="permessage-deflate; client_max_window_bits")
    with sock:
        assert "sec-websocket-extensions: permessage-deflate; server_no_context_takeover\r\n" in head.lower()
        sock.sendall(masked_frame(0x1, handshake(channel).encode()))
        first, ack = read_frame(sock)
        assert first == 0x81 and json.loads(ack)["code"] == 0  # per-socket messages go plain
        content = "这是一条很长的评论，" * 40
        assert call(gateway, "sendComment", comment=json.dumps({"channel_id": channel, "content": content}))["code"] == 0
        while True:
            first, payload = read_frame(sock)
            if first == 0xC1:  # FIN, RSV1, text
                break
            assert json.loads(payload)["type"] in ("heartbeat", "notice")
        text = zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")
        assert json.loads(text)["content"] == content and len(payload) < len(text) / 3


def test_a_small_server_window_leaves_long_messages_uncompressed(gateway):
    channel = start_live(gateway)
    sock, head = raw_upgrade(gateway.ws_port, extensions="permessage-deflate; server_max_window_bits=9")
    with sock:
        assert "server_max_window_bits=9" in head
        sock.sendall(masked_frame(0x1, handshake(channel).encode()))
        read_frame(sock)
        content = "长" * 400  # over 512 bytes: it could reach past the window, so it goes plain
        assert call(gateway, "sendComment", comment=json.dumps({"channel_id": channel, "content": content}))["code"] == 0
        first, payload = read_frame(sock)
        while json.loads(payload)["type"] != "comment":
            first, payload = read_frame(sock)
        assert first == 0x81 and json.loads(payload)["content"] == content


def test_a_deflate_bomb_is_closed_with_1009(gateway):
    with connect(gateway.ws) as ws:
        ws.send("{" + " " * 2_000_000 + "}")  # about 2 KB on the wire, 2 MB inflated
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1009


def test_the_echo_endpoint_compresses_and_the_option_turns_it_off():
    with Gateway(workers=0, env={"WLIVE_WS_ECHO_PATH": "/echo", "WLIVE_WS_PERMESSAGE_DEFLATE": "false"}) as off:
        with connect(off.ws.replace("/ws", "/echo")) as ws:
            assert ws.protocol.extensions == []
            ws.send("hello")
            assert ws.recv(timeout=10) == "hello"
        assert off.terminate(timeout=15) == 0
    with Gateway(workers=0, env={"WLIVE_WS_ECHO_PATH": "/echo"}) as on:
        with connect(on.ws.replace("/ws", "/echo")) as ws:
            assert len(ws.protocol.extensions) == 1
            message = "echo " * 1000
            ws.send(message)
            assert ws.recv(timeout=10) == message
        assert on.terminate(timeout=15) == 0


def deflated_messages(gateway):
    with urllib.request.urlopen(f"{gateway.admin}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("wlive_deflated_messages_total{"))


def test_a_broadcast_is_compressed_once_per_loop_not_per_viewer(gateway):
    channel = start_live(gateway)
    viewers = [connect(gateway.ws) for _ in range(30)]
    try:
        for ws in viewers:
            ws.send(handshake(channel))
            assert json.loads(ws.recv(timeout=10))["code"] == 0
        before = deflated_messages(gateway)
        contents = [f"第{index}条：" + "压缩一次就够了。" * 20 for index in range(5)]
        for index, content in enumerate(contents):
            answer = call(gateway, "sendComment", userid=f"u{index}",
                          comment=json.dumps({"channel_id": channel, "content": content}))
            assert answer["code"] == 0, answer
        for ws in viewers:
            assert [next_message(ws)["content"] for _ in contents] == contents
        compressed = deflated_messages(gateway) - before
        # Once per message, whatever the audience (two loops racing for one message may both compress it).
        assert len(contents) <= compressed <= 2 * len(contents) + 2, compressed
    finally:
        for ws in viewers:
            ws.close()
