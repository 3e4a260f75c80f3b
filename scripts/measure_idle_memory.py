#!/usr/bin/env python3
"""Measures a running gateway's user-space memory (RSS) per idle, handshaken Wlive connection.

Opens COUNT connections to the gateway (loopback only) and reads the gateway's VmRSS from /proc
before and after. The connections stay idle (a long timer_interval) while measured:
- `--kind websocket` (the default): upgrade and Wlive handshake, waiting for every acknowledgement;
- `--kind sse`: `GET /live/stream` on the HTTP API port (`--port`), waiting for every
  acknowledgement record;
- `--kind poll`: `POST /live/syncComments` on the HTTP API port for a room with no comment, each
  then held (start the gateway with a long `WLIVE_POLL_MAX_WAIT`).

    .build/release/wlive serve --ws-port 8090 --open-channel 42 &
    scripts/measure_idle_memory.py --pid $! --port 8090 --channel 42 --count 10000
"""
import argparse, base64, json, os, selectors, socket, struct, sys, time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS for pid %d" % pid)


def masked_text_frame(payload):
    key = os.urandom(4)
    header = bytes([0x81])
    n = len(payload)
    header += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def stream_request(channel, interval):
    return f"GET /live/stream?channel_id={channel}&timer_interval={interval} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def poll_request(channel):
    body = (f"appid=101&source=2&biz=wchat&userid=probe&sdk_version=1&version=1&os_type=linux&os_version=1"
            f"&client_type=probe&client_version=1&test=1&channel_id={channel}&since_seq=0").encode()
    return (f"POST /live/syncComments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def open_connections(port, channel, count, interval, deadline, kind="websocket"):
    handshake = json.dumps({
        "user_id": "", "source": 20, "appid": "101", "sdk_version": 1000, "version": "j1.0",
        "os_type": "linux", "os_version": "1", "client_type": "pcweb", "client_version": "1.0.0",
        "device_id": "memory-probe", "device_type": "probe", "im_toklen": "", "timer_interval": interval,
        "channel_id": str(channel)}).encode()
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    selector = selectors.DefaultSelector()
    sockets, pending, acknowledged = [], {}, 0
    batch = 500
    while acknowledged < count:
        if time.time() > deadline:
            raise SystemExit(f"timed out with {acknowledged} of {count} connections acknowledged")
        while len(sockets) < count and len(pending) < batch:
            # Spread over 127.0.0.x source addresses so ephemeral ports never run out.
            s = socket.socket()
            s.bind((f"127.0.0.{2 + len(sockets) % 200}", 0))
            s.connect(("127.0.0.1", port))
            if kind == "websocket":
                s.sendall(request + masked_text_frame(handshake))
            elif kind == "sse":
                s.sendall(stream_request(channel, interval))
            else:
                s.sendall(poll_request(channel))
                sockets.append(s)
                acknowledged += 1  # held: no answer is expected
                continue
            s.setblocking(False)
            sockets.append(s)
            pending[s.fileno()] = b""
            selector.register(s, selectors.EVENT_READ)
        for event, _ in selector.select(timeout=1):
            s = event.fileobj
            data = s.recv(65536)
            if not data:
                raise SystemExit("server closed a connection during the handshake")
            pending[s.fileno()] += data
            if b'"type":"handshake"' in pending[s.fileno()] and (kind != "sse" or pending[s.fileno()].endswith(b"\n\n")):
                if b'"code":0' not in pending[s.fileno()]:
                    raise SystemExit("handshake refused: %r" % pending[s.fileno()][-200:])
                selector.unregister(s)
                del pending[s.fileno()]
                acknowledged += 1
    return sockets


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pid", type=int, required=True, help="the gateway's process id")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--channel", type=int, required=True)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--warmup", type=int, default=200, help="connections opened before the baseline")
    parser.add_argument("--interval", type=int, default=600, help="timer_interval asked for")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--kind", choices=["websocket", "sse", "poll"], default="websocket")
    args = parser.parse_args()
    deadline = time.time() + args.timeout
    warm = open_connections(args.port, args.channel, args.warmup, args.interval, deadline, args.kind)
    time.sleep(1)
    before = rss_kib(args.pid)
    conns = open_connections(args.port, args.channel, args.count, args.interval, deadline, args.kind)
    time.sleep(2)
    after = rss_kib(args.pid)
    per = (after - before) * 1024 / args.count
    print(json.dumps({"kind": args.kind, "connections": args.count, "rss_before_kib": before, "rss_after_kib": after,
                      "bytes_per_idle_connection": round(per)}))
    for s in warm + conns:
        s.close()


if __name__ == "__main__":
    main()
