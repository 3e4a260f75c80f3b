#!/usr/bin/env python3
"""Long-poll and SSE latency (issue 16): how long after a comment's `sendComment` was sent a held
`syncComments` poll, an SSE stream and a WebSocket viewer have it, on a running gateway (loopback
only; bounded in count and time). Prints p50/p99/max per transport, in milliseconds.

    .build/release/wlive serve --log-level warning &
    loadtest/poll-latency.py --http 8081 --ws 8080 --pollers 50 --comments 200 --rate 20
"""
import argparse, http.client, json, socket, sys, threading, time, urllib.parse

COMMON = {"appid": "101", "source": "2", "biz": "wchat", "userid": "123", "sdk_version": "1.0", "version": "1",
          "os_type": "devtools", "os_version": "1", "client_type": "WeChat", "client_version": "1", "test": "1"}


def call(connection, name, **fields):
    body = urllib.parse.urlencode({**COMMON, **fields})
    connection.request("POST", f"/live/{name}", body, {"Content-Type": "application/x-www-form-urlencoded"})
    return json.loads(connection.getresponse().read())


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000 if ordered else float("nan")


def main():
    # Python hands its lock between threads every 5 ms by default: that would be measured too.
    sys.setswitchinterval(0.0002)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--http", type=int, default=8081)
    parser.add_argument("--ws", type=int, default=8080)
    parser.add_argument("--pollers", type=int, default=50)
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--comments", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20)
    args = parser.parse_args()
    api = http.client.HTTPConnection("127.0.0.1", args.http, timeout=30)
    channel = call(api, "startLive", channel_title="t", channel_describe="d", cover_url="c")["channel"]["channel_id"]
    sent = {}
    latencies = {"poll": [], "sse": []}
    lock = threading.Lock()
    done = threading.Event()

    def poller():
        connection = http.client.HTTPConnection("127.0.0.1", args.http, timeout=60)
        since, cursor = 0, None
        while not done.is_set():
            place = {"since_seq": str(since), **({"cursor": str(cursor)} if cursor is not None else {})}
            answer = call(connection, "syncComments", channel_id=channel, **place)
            now = time.monotonic()
            with lock:
                latencies["poll"] += [now - sent[m["seq"]] for m in answer.get("messages", [])
                                      if m["type"] == "comment" and m["seq"] in sent]
            since, cursor = answer.get("last_seq", since), answer.get("cursor")
            if since >= args.comments:
                return

    def stream():
        sock = socket.create_connection(("127.0.0.1", args.http), timeout=60)
        sock.sendall(f"GET /live/stream?channel_id={channel} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        buffer, count = b"", 0
        while count < args.comments and not done.is_set():
            chunk = sock.recv(65536)
            if not chunk:
                return
            now = time.monotonic()
            buffer += chunk
            *records, buffer = buffer.split(b"\n\n")
            for record in records:
                if record.startswith(b"event: comment"):
                    seq = json.loads(record.split(b"data: ", 1)[1])["seq"]
                    count += 1
                    with lock:
                        latencies["sse"].append(now - sent[seq])
        sock.close()

    threads = [threading.Thread(target=poller, daemon=True) for _ in range(args.pollers)]
    threads += [threading.Thread(target=stream, daemon=True) for _ in range(args.streams)]
    for thread in threads:
        thread.start()
    time.sleep(2)  # every poll held, every stream acknowledged
    poster = http.client.HTTPConnection("127.0.0.1", args.http, timeout=30)
    for index in range(1, args.comments + 1):
        started = time.monotonic()
        with lock:
            sent[index] = started
        answer = call(poster, "sendComment", userid=f"p{index}",
                      comment=json.dumps({"channel_id": channel, "content": f"latency probe {index}"}))
        assert answer["code"] == 0 and answer["seq"] == index, answer
        time.sleep(max(0, 1 / args.rate - (time.monotonic() - started)))
    deadline = time.monotonic() + 30
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.monotonic()))
    done.set()
    call(http.client.HTTPConnection("127.0.0.1", args.http, timeout=30), "stopLive", channel_id=channel)
    for name, values in latencies.items():
        print(json.dumps({"transport": name, "deliveries": len(values), "p50_ms": round(percentile(values, 50), 2),
                          "p99_ms": round(percentile(values, 99), 2), "max_ms": round(max(values) * 1000, 2) if values else None}))


if __name__ == "__main__":
    main()
