"""The admin port against a real `wlive serve` process: /metrics parsed with Prometheus's own
parser (prometheus_client) moves by exactly what a known burst did, /readyz flips to 503 while a
SIGTERM drains, the operator page needs its token off loopback, and log lines in JSON carry the
connection and channel ids but never a token."""
import contextlib
import json
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from wlive_support import Gateway, call, handshake, next_message, start_live


def get(url, headers=None, timeout=10):
    """(status, body) of a GET, whatever the status."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def scrape(gateway):
    """Every sample of /metrics, by (name, sorted labels), summed over the labels not named."""
    status, text = get(f"{gateway.admin}/metrics")
    assert status == 200
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def total(samples, name, **labels):
    """The sum of `name` over every sample whose labels include `labels`."""
    wanted = set((k, str(v)) for k, v in labels.items())
    return sum(value for (sample, sample_labels), value in samples.items() if sample == name and wanted <= set(sample_labels))


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_metrics_move_by_exactly_the_burst():
    viewers, comments, spam = 5, 20, 3
    with Gateway() as gateway:
        channel = start_live(gateway)
        before = scrape(gateway)
        opened = contextlib.ExitStack()
        sockets = [opened.enter_context(connect(gateway.ws)) for _ in range(viewers)]
        for ws in sockets:
            ws.send(handshake(channel))
            assert json.loads(ws.recv(timeout=10))["code"] == 0
        with connect(gateway.ws) as stranger:
            stranger.send(handshake("999999"))
            assert json.loads(stranger.recv(timeout=10))["code"] == 1
        for n in range(comments):
            answer = call(gateway, "sendComment", userid=f"user{n}", comment=json.dumps({"channel_id": channel, "content": f"comment {n}"}))
            assert answer["code"] == 0, answer
        for n in range(spam):
            answer = call(gateway, "sendComment", userid=f"spammer{n}", comment=json.dumps({"channel_id": channel, "content": f"加微信 13812345{n:03d}"}))
            assert answer["code"] == 303 and answer["reason"] == "contact", answer
        for ws in sockets:
            assert [next_message(ws)["seq"] for _ in range(comments)] == list(range(1, comments + 1))
        # A worker adds its pass's counts to the shared ones right after its writes: the scrape
        # may come a moment sooner.
        assert wait_for(lambda: moved_after(before, scrape(gateway), "wlive_publish_to_write_seconds_count") == comments * viewers)
        after = scrape(gateway)

        def moved(name, **labels):
            return total(after, name, **labels) - total(before, name, **labels)

        assert moved("wlive_comments_accepted_total") == comments
        assert moved("wlive_http_requests_total", call="sendComment", code=0, status=200) == comments
        assert moved("wlive_http_requests_total", call="sendComment", code=303) == spam
        assert moved("wlive_comments_refused_total", code=303) == spam
        assert moved("wlive_spam_refusals_total", rule="contact") == spam
        assert moved("wlive_spam_refusals_total") == spam
        assert moved("wlive_deliveries_total") == comments * viewers
        assert moved("wlive_publish_to_write_seconds_count") == comments * viewers
        assert total(after, "wlive_publish_to_write_seconds_bucket", le="+Inf") == total(after, "wlive_publish_to_write_seconds_count")
        assert moved("wlive_handshakes_total", code=0) == viewers
        assert moved("wlive_handshakes_total", code=1) == 1
        assert moved("wlive_closes_total", code=4404) == 1
        assert total(after, "wlive_connections") == viewers
        assert total(after, "wlive_channels", status="live") == 1
        assert moved("wlive_written_bytes_total") > 0 and moved("wlive_write_calls_total") > 0
        assert total(after, "process_resident_memory_bytes") > 1 << 20
        assert total(after, "process_open_fds") >= viewers
        assert total(after, "wlive_http_request_duration_seconds_count", call="sendComment") == comments + spam
        assert total(after, "wlive_ready") == 1

        opened.close()
        assert wait_for(lambda: total(scrape(gateway), "wlive_connections") == 0)
        assert moved_after(before, scrape(gateway), "wlive_closes_total", code=1000) == viewers
        assert gateway.terminate() == 0


def moved_after(before, after, name, **labels):
    return total(after, name, **labels) - total(before, name, **labels)


def test_stats_and_room_detail_show_the_room_and_its_last_comments():
    with Gateway() as gateway:
        channel = start_live(gateway)
        with connect(gateway.ws) as ws:
            ws.send(handshake(channel))
            assert json.loads(ws.recv(timeout=10))["code"] == 0
            assert call(gateway, "sendComment", comment=json.dumps({"channel_id": channel, "content": "hello room"}))["code"] == 0
            assert next_message(ws)["content"] == "hello room"
            status, body = get(f"{gateway.admin}/admin/stats")
            stats = json.loads(body)
            assert status == 200 and stats["connections"] == 1 and stats["live_rooms"] == 1
            assert stats["top_by_viewers"][0]["id"] == channel and stats["top_by_viewers"][0]["connections"] == 1
            status, body = get(f"{gateway.admin}/admin/rooms/{channel}")
            room = json.loads(body)
            assert status == 200 and room["room"]["status"] == "live" and room["room"]["last_seq"] == 1
            assert [c["content"] for c in room["comments"]] == ["hello room"]
            assert get(f"{gateway.admin}/admin/rooms/424242")[0] == 404
            assert get(f"{gateway.admin}/nothing")[0] == 404
            assert get(f"{gateway.admin}/healthz") == (200, "ok\n")
        assert gateway.terminate() == 0


def test_readiness_flips_to_503_while_a_sigterm_drains_and_serving_goes_on():
    with Gateway(env={"WLIVE_SHUTDOWN_DRAIN_DELAY": "2"}) as gateway:
        channel = start_live(gateway)
        assert get(f"{gateway.admin}/readyz") == (200, "ready\n")
        with connect(gateway.ws) as ws:
            ws.send(handshake(channel))
            assert json.loads(ws.recv(timeout=10))["code"] == 0
            gateway.process.send_signal(15)
            assert wait_for(lambda: get(f"{gateway.admin}/readyz")[0] == 503, seconds=1.5)
            assert get(f"{gateway.admin}/readyz") == (503, "draining\n")
            # Draining: alive, still serving the API and the viewers it holds.
            assert get(f"{gateway.admin}/healthz")[0] == 200
            assert total(scrape(gateway), "wlive_ready") == 0
            answer = call(gateway, "sendComment", comment=json.dumps({"channel_id": channel, "content": "during the drain"}))
            assert answer["code"] == 0
            assert next_message(ws)["content"] == "during the drain"
            with pytest.raises(Exception):
                while True:
                    ws.recv(timeout=10)
            assert ws.close_code == 1001
        assert gateway.process.wait(timeout=15) == 0


def test_operator_page_needs_the_token_off_loopback_and_metrics_stay_open():
    token = "s3cret-operator-token"
    with Gateway(env={"WLIVE_ADMIN_HOST": "0.0.0.0", "WLIVE_ADMIN_TOKEN": token}) as gateway:
        assert get(f"{gateway.admin}/admin")[0] == 401
        assert get(f"{gateway.admin}/admin/stats")[0] == 401
        assert get(f"{gateway.admin}/admin/stats?token=wrong")[0] == 401
        assert get(f"{gateway.admin}/admin/stats", headers={"Authorization": f"Bearer {token}"})[0] == 200
        status, page = get(f"{gateway.admin}/admin?token={token}")
        assert status == 200 and "<title>Wlive operator</title>" in page
        assert get(f"{gateway.admin}/metrics")[0] == 200
        assert get(f"{gateway.admin}/readyz")[0] == 200
        status, document = get(f"{gateway.admin}/openapi.yaml")
        assert status == 200 and document.startswith("openapi: 3.1")
        assert gateway.terminate() == 0


def test_an_admin_port_open_to_other_hosts_without_a_token_does_not_start():
    with pytest.raises(AssertionError, match="admin.token"):
        Gateway(env={"WLIVE_ADMIN_HOST": "0.0.0.0"})


def test_json_logs_name_connection_and_channel_and_never_a_token():
    token = "tok-" + "x" * 40
    with Gateway("--log-level", "debug", env={"WLIVE_LOG_FORMAT": "json"}) as gateway:
        channel = start_live(gateway, authtoken=token)
        assert call(gateway, "sendComment", authtoken=token, comment=json.dumps({"channel_id": channel, "content": "加微信 13812345678"}))["code"] == 303
        with connect(gateway.ws) as ws:
            ws.send(handshake(channel, im_toklen=token))
            assert json.loads(ws.recv(timeout=10))["code"] == 0
        assert call(gateway, "stopLive", authtoken=token, channel_id=channel)["code"] == 0
        assert gateway.terminate() == 0
        lines = [json.loads(line) for line in gateway.stderr_text().splitlines() if line.strip()]
    assert token not in json.dumps(lines)
    about_requests = [line for line in lines if line["message"] in ("channel started", "comment refused", "channel stopped")]
    assert len(about_requests) == 3
    for line in about_requests:
        assert line["channel"] == channel and line["connection"] and line["level"] and line["time"]
    subscribed = [line for line in lines if line["message"] == "viewer subscribed"]
    assert len(subscribed) == 1 and subscribed[0]["channel"] == channel and subscribed[0]["connection"]


def test_an_error_answer_ends_the_keep_alive_and_head_gets_no_body():
    """A 405 says `Connection: close`, so nothing may follow it on that connection; a HEAD's
    answer carries no body (found while checking the OpenAPI contract)."""
    import socket

    def exchange(port, data):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(data)
            received = b""
            while chunk := s.recv(65536):
                received += chunk
            return received

    with Gateway() as gateway:
        answer = exchange(gateway.http_port, b"PUT /live/startLive HTTP/1.1\r\nHost: x\r\n\r\n"
                                             b"GET /live/startLive HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 405") and answer.count(b"HTTP/1.1") == 1
        answer = exchange(gateway.http_port, b"HEAD /live/startLive HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 405") and answer.endswith(b"\r\n\r\n") and b"Content-Length: 0" in answer
        assert gateway.terminate() == 0
