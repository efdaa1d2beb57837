"""Traces over OTLP: with HERALD_OTEL_ENDPOINT, `herald serve` exports its spans with swift-otel (OTLP/HTTP,
protobuf) to a collector started here. A `traceparent` sent with POST …/msg becomes the parent of the request's span;
the fan-out and every delivery attempt — a failed one and its retry — are spans of that same trace, and each webhook
request carries its attempt's span in `traceparent`."""

import http.server
import tempfile
import threading
import time

import httpx
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from conftest import HeraldProcess
from receiver import Receiver


class Collector:
    """A minimal OTLP/HTTP receiver: keeps every span it is sent."""

    def __init__(self):
        self.spans = []
        self.lock = threading.Lock()
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                with collector.lock:
                    for resource in request.resource_spans:
                        service = {a.key: a.value.string_value for a in resource.resource.attributes}.get("service.name")
                        for scope in resource.scope_spans:
                            collector.spans += [(service, span) for span in scope.spans]
                answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spans_of(self, trace_id: bytes):
        with self.lock:
            return [(service, span) for service, span in self.spans if span.trace_id == trace_id]


def test_a_trace_links_the_ingest_request_to_its_delivery_attempts():
    collector = Collector()
    receiver = Receiver(script=lambda path, index: 500 if index == 0 else 204)
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    caller_span = "00f067aa0ba902b7"
    with tempfile.TemporaryDirectory() as workdir:
        herald = HeraldProcess(workdir, extra_env={
            "HERALD_OTEL_ENDPOINT": collector.url, "HERALD_RETRY_SCHEDULE": "1", "OTEL_BSP_SCHEDULE_DELAY": "200",
        })
        herald.start()
        try:
            headers = {"authorization": f"Bearer {herald.token()}"}
            app = httpx.post(herald.url + "/api/v1/app", json={"name": "Traced"}, headers=headers).json()
            httpx.post(herald.url + f"/api/v1/app/{app['id']}/endpoint", json={"url": receiver.url + "/traced"},
                       headers=headers).raise_for_status()
            created = httpx.post(herald.url + f"/api/v1/app/{app['id']}/msg", json={"eventType": "trace.checked", "payload": {}},
                                 headers={**headers, "traceparent": f"00-{trace_id}-{caller_span}-01"})
            assert created.status_code == 202
            webhooks = receiver.wait_for("/traced", 2, timeout=20)
            assert len(webhooks) == 2
            # Each attempt tells the receiver where it stands in the caller's trace.
            parents = [request["headers"].get("traceparent") or request["headers"].get("Traceparent") for request in webhooks]
            assert all(parent and parent.split("-")[1] == trace_id for parent in parents), parents
            attempt_span_ids = {parent.split("-")[2] for parent in parents}
            assert len(attempt_span_ids) == 2

            deadline = time.time() + 20
            while True:
                spans = collector.spans_of(bytes.fromhex(trace_id))
                names = [span.name for _, span in spans]
                if names.count("herald.attempt") == 2 and "herald.fan_out" in names and any("msg" in name for name in names
                                                                                             if name.startswith("/api")):
                    break
                assert time.time() < deadline, names
                time.sleep(0.2)
        finally:
            herald.stop()
            receiver.close()

    assert all(service == "herald" for service, _ in spans)
    by_name = {}
    for _, span in spans:
        by_name.setdefault(span.name, []).append(span)
    server = next(span for name, found in by_name.items() if name.startswith("/api/v1/app/") for span in found)
    assert server.parent_span_id == bytes.fromhex(caller_span)
    fan_out = by_name["herald.fan_out"][0]
    assert fan_out.parent_span_id == server.span_id
    attempts = by_name["herald.attempt"]
    assert all(attempt.parent_span_id == fan_out.span_id for attempt in attempts)
    assert {attempt.span_id.hex() for attempt in attempts} == attempt_span_ids
    statuses = sorted(next(a.value.int_value for a in attempt.attributes if a.key == "http.response.status_code")
                      for attempt in attempts)
    assert statuses == [204, 500]
    failed = next(attempt for attempt in attempts
                  if any(a.key == "http.response.status_code" and a.value.int_value == 500 for a in attempt.attributes))
    assert failed.status.code == 2  # STATUS_CODE_ERROR
