"""The OpenAPI document and the offline Swagger UI."""

import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db(transaction=True)


def test_schema_is_valid_openapi_3_as_yaml_and_json(anon):
    as_yaml = anon.get("/api/schema/")
    assert as_yaml.status_code == 200
    doc = yaml.safe_load(as_yaml.text)
    assert doc["openapi"].startswith("3.")
    validate_schema(doc)
    as_json = anon.get("/api/schema/?format=json")
    assert as_json.status_code == 200
    assert as_json.json()["paths"].keys() == doc["paths"].keys()
    for resource in ("customers", "contacts", "interactions", "orders", "needs"):
        assert f"/api/v1/{resource}/" in doc["paths"]
        assert f"/api/v1/{resource}/{{id}}/" in doc["paths"]
    assert "/api/v1/auth/token/" in doc["paths"]
    # Relations: ids in, small objects out; updates must carry the version.
    schemas = doc["components"]["schemas"]
    assert schemas["CustomerRequest"]["properties"]["owner"]["type"] == "integer"
    assert "version" not in schemas["CustomerRequest"]["properties"]
    assert "version" in schemas["CustomerUpdateRequest"]["required"]
    assert "409" in doc["paths"]["/api/v1/customers/{id}/"]["patch"]["responses"]


def test_schema_generates_without_warnings(tmp_path):
    # Same as `manage.py spectacular --validate --fail-on-warn`.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert (tmp_path / "s.yml").stat().st_size > 1000


def test_docs_are_served_offline_from_the_sidecar(anon):
    r = anon.get("/api/docs/")
    assert r.status_code == 200
    assert "text/html" in r.headers["Content-Type"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    sidecar = [a for a in assets if "drf_spectacular_sidecar" in a]
    assert any(a.endswith("swagger-ui-bundle.js") for a in sidecar)
    assert not [a for a in assets if a.startswith("http")], "no CDN"
    for asset in sidecar:
        assert anon.get(asset).status_code == 200, asset


def test_docs_page_runs_under_our_content_security_policy(anon):
    # script-src is 'self' (+ nonce): an inline <script> block is refused by the
    # browser and Swagger UI stays blank. SpectacularSwaggerSplitView serves the
    # initialiser as a separate same-origin script instead.
    r = anon.get("/api/docs/")
    assert "script-src" in r.headers["Content-Security-Policy"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", r.text)
    assert not inline, "inline <script> on /api/docs/ is blocked by CSP"
