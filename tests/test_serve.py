"""`serve`'s guards: the size of `POST /result` and the Host header (DNS rebinding)."""

import http.client
import json
import threading

import pytest

from pix2pix_tf.export.serve import MAX_RESULT_BYTES, PageServer


@pytest.fixture
def page(tmp_path):
    server = PageServer(tmp_path, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _request(server, method, path, host=None, headers=(), body=b""):
    """Status and body of one request; `host` replaces the Host header."""
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    try:
        conn.putrequest(method, path, skip_host=host is not None)
        if host is not None:
            conn.putheader("Host", host)
        for k, v in headers:
            conn.putheader(k, v)
        conn.endheaders(body or None)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def test_only_this_servers_host_names_are_answered(page):
    port = page.server_address[1]
    for host in (None, f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
        status, body = _request(page, "GET", "/models.json", host)
        assert status == 200 and json.loads(body) == [], host
    for host in (f"evil.example:{port}", "127.0.0.1:1", "evil.example", ""):
        assert _request(page, "GET", "/models.json", host)[0] == 403, host
    ok = json.dumps({"x": 1}).encode()
    assert _request(page, "POST", "/result", f"rebound.example:{port}",
                    [("Content-Length", str(len(ok)))], ok)[0] == 403
    assert page.results == []


def test_result_size_and_length_are_checked_before_reading(page):
    ok = json.dumps({"model": "m"}).encode()
    assert _request(page, "POST", "/result", headers=[("Content-Length", str(len(ok)))],
                    body=ok)[0] == 200
    assert page.results == [{"model": "m"}]
    # Declared larger than the limit: refused from the headers, the body never sent.
    big = [("Content-Length", str(MAX_RESULT_BYTES + 1))]
    assert _request(page, "POST", "/result", headers=big)[0] == 413
    assert _request(page, "POST", "/result")[0] == 411
    for bad in ("-5", "abc", "1e3"):
        assert _request(page, "POST", "/result", headers=[("Content-Length", bad)])[0] == 400
    assert _request(page, "POST", "/result", headers=[("Content-Length", "3")],
                    body=b"{{{")[0] == 400
    assert page.results == [{"model": "m"}]


def test_a_bind_to_every_interface_also_answers_ip_literals_and_the_machines_name(tmp_path):
    import socket

    server = PageServer(tmp_path, "0.0.0.0", 0)
    try:
        port = server.server_address[1]
        for host in ("10.1.2.3", "[fe80::1]", socket.gethostname(), "localhost"):
            assert server.host_allowed(f"{host}:{port}"), host
        assert not server.host_allowed(f"evil.example:{port}")
        assert not server.host_allowed(f"10.1.2.3:{port + 1}")
    finally:
        server.server_close()


def test_a_file_named_tflite_that_is_not_one_is_left_out_not_a_server_error(page, capsys):
    (page.models / "mine.tflite").write_bytes(b"not a flatbuffer")
    status, body = _request(page, "GET", "/models.json")
    assert status == 200 and json.loads(body) == []
    assert "mine.tflite: not a readable .tflite" in capsys.readouterr().out
