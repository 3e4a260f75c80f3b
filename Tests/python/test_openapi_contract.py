"""The HTTP API against its contract: schemathesis reads the OpenAPI 3.1 document the gateway
serves on its admin port (docs/openapi.yaml) and fires generated requests, valid and not, at a
real `wlive serve`: no 5xx, and every status, content type, header and body must conform."""
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

from wlive_support import Gateway

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance"


def schemathesis_command():
    found = shutil.which("schemathesis") or shutil.which("st")
    return [found] if found else [sys.executable, "-m", "schemathesis.cli"]


def test_the_api_conforms_to_the_served_openapi_document():
    with Gateway() as gateway:
        with urllib.request.urlopen(f"{gateway.admin}/openapi.yaml", timeout=10) as response:
            assert response.status == 200 and response.headers["Content-Type"].startswith("application/yaml")
            document = response.read()
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with open(os.path.join(root, "docs", "openapi.yaml"), "rb") as shipped:
            assert document == shipped.read(), "the binary serves a different document than docs/openapi.yaml"
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "openapi.yaml")
            with open(path, "wb") as file:
                file.write(document)
            run = subprocess.run(
                [*schemathesis_command(), "run", path, "--url", gateway.http, "--checks", CHECKS,
                 "--max-examples", os.environ.get("WLIVE_SCHEMATHESIS_EXAMPLES", "25"), "--request-timeout", "10",
                 "--report-dir", scratch],
                cwd=scratch, capture_output=True, text=True, timeout=600)
        output = run.stdout + run.stderr
        assert run.returncode == 0, output[-6000:]
        assert "No issues found" in output, output[-6000:]
        assert gateway.process.poll() is None, "the gateway died under schemathesis"
        assert gateway.terminate() == 0
