"""Reliability of a real `wlive serve` process under the faults an outside probe found: running
out of file descriptors, SIGTERM while comments flow, and clients that send without reading."""
import asyncio
import json
import socket
import threading
import time

from websockets.asyncio.client import connect as async_connect
from websockets.sync.client import connect

from wlive_support import (Gateway, api_request, call, handshake, masked_frame, next_message, raw_upgrade, send_for,
                           start_live)


def subscribe(gateway, channel):
    ws = connect(gateway.ws)
    ws.send(handshake(channel))
    ack = json.loads(ws.recv(timeout=10))
    assert ack["type"] == "handshake" and ack["code"] == 0, ack
    return ws


def subscribe_eventually(gateway, channel, within):
    """A viewer, retrying while the gateway turns new connections away, for `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            return subscribe(gateway, channel)
        except Exception:
            assert time.monotonic() < deadline, f"no new viewer got in within {within} s"
            time.sleep(0.1)


def flood_connections(port, threads=4, each=400):
    """Connections opened as fast as several threads can, held open; the ones that got through."""
    opened, lock = [], threading.Lock()

    def connect_many():
        for _ in range(each):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=1)
            except OSError:
                continue  # refused or timed out while the listeners are paused: expected
            with lock:
                opened.append(s)

    workers = [threading.Thread(target=connect_many) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return opened


def test_out_of_file_descriptors_pauses_accepting_keeps_serving_and_recovers():
    # 256 descriptors and no connection cap below them: a flood from several threads runs the
    # process out while both loops accept, which is when libuv's spare descriptor goes missing.
    with Gateway(env={"WLIVE_WS_MAX_CONNECTIONS": "100000"}, nofile=256) as gateway:
        channel = start_live(gateway)
        viewers = [subscribe(gateway, channel) for _ in range(4)]
        poster = socket.create_connection(("127.0.0.1", gateway.http_port))
        for round in range(3):
            flood = flood_connections(gateway.ws_port)
            cpu_before = gateway.cpu_seconds()
            time.sleep(2)
            spent = gateway.cpu_seconds() - cpu_before
            # A spinning loop burns a core; paused ones sleep.
            assert spent < 0.8, f"round {round}: {spent:.2f} s of CPU in 2 s at the descriptor limit"
            # Acknowledged comments still reach the viewers it holds.
            poster.sendall(api_request("sendComment", userid=f"u{round}",
                                       comment=json.dumps({"channel_id": channel, "content": f"round {round}"})))
            answer = poster.recv(65536)
            assert b'"code":0' in answer, answer
            for ws in viewers:
                assert next_message(ws)["content"] == f"round {round}"
            for s in flood:
                s.close()
            # Recovers by itself: new viewers get in once descriptors are free again.
            subscribe_eventually(gateway, channel, within=15).close()
        for ws in viewers:
            ws.close()
        poster.close()
        assert gateway.terminate() == 0
        assert "accepting paused" in gateway.stderr_text()


def test_the_connection_cap_answers_503_before_descriptors_run_out():
    with Gateway(env={"WLIVE_WS_MAX_CONNECTIONS": "3"}) as gateway:
        channel = start_live(gateway)
        viewers = [subscribe(gateway, channel) for _ in range(3)]
        s = socket.create_connection(("127.0.0.1", gateway.ws_port))
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 503"), answer
        viewers.pop().close()
        viewers.append(subscribe_eventually(gateway, channel, within=5))
        for ws in viewers:
            ws.close()
        assert gateway.terminate() == 0


async def post_until_stopped(port, channel, acknowledged, prefix):
    """Posts comments on one keep-alive connection until the gateway stops answering."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    try:
        while True:
            n += 1
            writer.write(api_request("sendComment", userid=f"{prefix}-{n}",
                                     comment=json.dumps({"channel_id": channel, "content": f"{prefix} {n}"})))
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            reply = json.loads(await reader.readexactly(length))
            if reply["code"] == 0:
                acknowledged.add(reply["comment_id"])
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        return
    finally:
        writer.close()


async def collect_until_closed(url, channel, received, codes):
    async with async_connect(url) as ws:
        await ws.send(handshake(channel))
        assert json.loads(await ws.recv())["code"] == 0
        try:
            async for message in ws:
                event = json.loads(message)
                if event["type"] == "comment":
                    received.append(event["id"])
        finally:
            codes.append(ws.close_code)


async def shutdown_while_posting(gateway):
    channel = start_live(gateway)
    received = [[] for _ in range(4)]
    codes = []
    viewers = [asyncio.create_task(collect_until_closed(gateway.ws, channel, ids, codes)) for ids in received]
    await asyncio.sleep(0.5)
    acknowledged = set()
    posters = [asyncio.create_task(post_until_stopped(gateway.http_port, channel, acknowledged, f"p{k}")) for k in range(4)]
    await asyncio.sleep(1.5)
    assert len(acknowledged) > 50, "too few comments acknowledged before the shutdown to test it"
    await asyncio.to_thread(gateway.terminate)
    await asyncio.wait_for(asyncio.gather(*posters, *viewers), timeout=20)
    return acknowledged, received, codes


def test_sigterm_delivers_every_acknowledged_comment_before_1001():
    for _ in range(3):
        with Gateway() as gateway:
            acknowledged, received, codes = asyncio.run(shutdown_while_posting(gateway))
            for ids in received:
                missing = acknowledged - set(ids)
                assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged comments never arrived"
                assert len(ids) == len(set(ids)), "a comment arrived twice"
            assert codes == [1001] * 4


def test_a_ping_flood_that_never_reads_costs_bounded_memory_even_before_the_handshake():
    with Gateway() as gateway:
        channel = start_live(gateway)
        viewer = subscribe(gateway, channel)
        before = gateway.rss_kib()
        flooder = raw_upgrade(gateway.ws_port, receive_buffer=4096)
        flood = masked_frame(0x9, b"p" * 125) * (400_000)  # 52 MB of pings, never a read
        sent = send_for(flooder, flood, seconds=3)
        grown = (gateway.rss_kib() - before) / 1024
        assert grown < 64, f"{sent >> 20} MB of pings grew the gateway by {grown:.0f} MiB"
        # Everyone else is still served.
        assert call(gateway, "sendComment", comment=json.dumps({"channel_id": channel, "content": "after the flood"}))["code"] == 0
        assert next_message(viewer)["content"] == "after the flood"
        flooder.close()
        viewer.close()
        assert gateway.terminate() == 0


def test_pipelined_api_requests_that_are_never_read_cost_bounded_memory_and_stall_nobody():
    with Gateway() as gateway:
        # A hundred live channels make every answer some 60 KB.
        channels = [start_live(gateway, userid=f"anchor{n}") for n in range(100)]
        channel = channels[0]
        before = gateway.rss_kib()
        ids = json.dumps(channels)
        request = api_request("retrieveChannel", channel_ids=ids)
        pipeliner = socket.socket()
        pipeliner.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        pipeliner.connect(("127.0.0.1", gateway.http_port))
        sent = send_for(pipeliner, request * ((8 << 20) // len(request)), seconds=3)
        started = time.monotonic()
        reply = call(gateway, "retrieveChannel", channel_ids=json.dumps([channel]))
        waited = time.monotonic() - started
        assert reply["code"] == 0 and reply["channel"][0]["channel_id"] == channel
        grown = (gateway.rss_kib() - before) / 1024
        assert grown < 64, f"{sent >> 10} KiB of pipelined requests grew the gateway by {grown:.0f} MiB"
        assert waited < 5, f"another client waited {waited:.1f} s"
        pipeliner.close()
        assert gateway.terminate() == 0
