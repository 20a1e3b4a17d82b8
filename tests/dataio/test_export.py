"""Exports: visibility per persona and kind, formats, headers, formula safety, background jobs."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from guanxi.customers.models import Customer
from guanxi.dataio.exports import (
    CSV,
    XLSX,
    export_job_create,
    export_job_run,
    export_specs,
    export_to_file,
    iter_cells,
    safe_cell,
)
from guanxi.dataio.models import Job, JobStatus
from guanxi.dataio.progress import cancel_request, jobs_dir
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    NeedFactory,
    OrderFactory,
)

pytestmark = pytest.mark.django_db

KINDS = ("customers", "contacts", "interactions", "orders", "needs")
SECRET = "杭州青山机械制造有限公司"
OTHER = "深圳蓝海电子有限公司"


def _csv(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content).decode("utf-8")
    assert raw.startswith("\ufeff"), "UTF-8 with BOM, so Excel reads Chinese"
    return list(csv.reader(io.StringIO(raw[1:])))


def _xlsx_text(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        return "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))


def _export(client, kind, fmt=CSV, lang="en"):
    return client.get(reverse("dataio:export"), {"kind": kind, "format": fmt, "language": lang})


@pytest.fixture
def huey_immediate(monkeypatch):
    """Queued tasks run at once, in the test's thread and transaction."""
    monkeypatch.setattr(HUEY, "immediate", True)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("persona", "sees_secret", "sees_other"),
    [
        ("owner", True, False),
        ("teammate", False, False),
        ("outsider", False, True),
        ("manager", True, False),
        ("other_manager", False, True),
        ("director", True, True),
        ("admin", True, True),
    ],
)
def test_each_persona_exports_only_visible_rows(
    world, client, kind, persona, sees_secret, sees_other
):
    ContactFactory(customer=world.other_customer, name="李四")
    InteractionFactory(customer=world.other_customer)
    OrderFactory(customer=world.other_customer)
    NeedFactory(customer=world.other_customer)
    client.force_login(getattr(world, persona))
    response = _export(client, kind)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    text = "\n".join(",".join(r) for r in rows[1:])
    assert (SECRET in text) is sees_secret
    assert (OTHER in text) is sees_other
    assert len(rows) - 1 == sees_secret + sees_other  # one row of each kind per customer


def test_deleted_customers_are_not_exported(world, client):
    from guanxi.customers import services

    services.customer_soft_delete(user=world.owner, customer=world.customer)
    client.force_login(world.director)
    for kind in KINDS:
        assert SECRET not in "\n".join(map(str, _csv(_export(client, kind))))


def test_formula_cells_are_neutralised_in_csv_and_xlsx(world, client):
    ContactFactory(customer=world.customer, name="=HYPERLINK(1)", notes="@SUM(A1)")
    ContactFactory(customer=world.customer, name="-2+3", wechat="\tx")
    client.force_login(world.owner)
    rows = _csv(_export(client, "contacts"))
    cells = {cell for row in rows for cell in row}
    assert {"'=HYPERLINK(1)", "'@SUM(A1)", "'-2+3", "'\tx"} <= cells
    assert "=HYPERLINK(1)" not in cells
    body = b"".join(_export(client, "contacts", XLSX).streaming_content)
    text = _xlsx_text(body)
    assert "'=HYPERLINK(1)" in text and "<f>" not in text


def test_safe_cell():
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("杭州") == "杭州" and safe_cell(None) == ""


def test_headers_follow_the_chosen_language(world, client):
    client.force_login(world.owner)
    english = _csv(_export(client, "orders", lang="en"))[0]
    chinese = _csv(_export(client, "orders", lang="zh-hans"))[0]
    assert english[:2] == ["Customer number", "Company name"]
    assert chinese[:2] == ["客户编号", "公司名称"]


def test_numbers_and_choices_are_exported_as_values(world, client):
    client.force_login(world.owner)
    header, row = _csv(_export(client, "orders"))
    assert row[header.index("Amount (CNY)")] == "12000.00"
    header, row = _csv(_export(client, "interactions"))
    assert row[header.index("Channel")] == "Phone"


def test_xlsx_is_a_workbook_with_the_visible_rows(world, client):
    client.force_login(world.outsider)
    response = _export(client, "customers", XLSX)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    text = _xlsx_text(b"".join(response.streaming_content))
    assert OTHER in text and SECRET not in text


def test_invalid_choice_shows_the_form(world, client):
    client.force_login(world.owner)
    assert client.get(reverse("dataio:export")).status_code == 200
    assert _export(client, "secrets").status_code == 400


def test_customer_list_export_keeps_filters_and_offers_xlsx_and_english(world, client):
    CustomerFactory(owner=world.owner, name="宁波海曙五金有限公司")
    client.force_login(world.owner)
    url = reverse("customers:export")
    rows = _csv(client.get(url, {"q": "宁波", "lang": "en"}))
    assert rows[0][0] == "Customer number"
    assert [r[1] for r in rows[1:]] == ["宁波海曙五金有限公司"]
    text = _xlsx_text(b"".join(client.get(url, {"q": "宁波", "format": "xlsx"}).streaming_content))
    assert "宁波海曙五金有限公司" in text and SECRET not in text


def test_chunks_and_tags_line_up(world):
    """Rows cross chunk boundaries; per-chunk tag lookups stay attached to their row."""
    from guanxi.customers.models import Tag

    red, blue = Tag.objects.create(name="红"), Tag.objects.create(name="蓝")
    made = [CustomerFactory(owner=world.owner, name=f"客户{i}") for i in range(5)]
    made[1].tags.set([red])
    made[4].tags.set([red, blue])
    spec = export_specs()["customers"]
    qs = spec.rows(world.owner, {}).filter(pk__in=[c.pk for c in made]).order_by("id")
    prepared = spec.prepare("en")
    chunks = list(iter_cells(qs, prepared, enrich=spec.enrich, extra=1, chunk=2))
    assert [len(c) for c in chunks] == [2, 2, 1]
    rows = [row for chunk in chunks for row in chunk]
    assert [(r[1], r[-1]) for r in rows] == [
        ("客户0", ""),
        ("客户1", "红"),
        ("客户2", ""),
        ("客户3", ""),
        ("客户4", "红 蓝"),
    ]
    assert prepared.headers[-1] == "Tags"


def test_export_to_file_rolls_xlsx_over_to_a_new_sheet(world, tmp_path, monkeypatch):
    from guanxi.dataio import exports

    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    for i in range(4):
        CustomerFactory(owner=world.owner, name=f"多表{i}")
    spec = export_specs()["customers"]
    out = tmp_path / "c.xlsx"
    assert export_to_file(spec, spec.rows(world.owner, {}), XLSX, "en", out) == 5
    with zipfile.ZipFile(out) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
    assert len(sheets) == 3


# --- background jobs ----------------------------------------------------------------


def test_large_export_becomes_a_job_with_a_download(world, client, settings, huey_immediate):
    settings.EXPORT_SYNC_MAX_ROWS = 0
    client.force_login(world.owner)
    response = _export(client, "contacts")
    job = Job.objects.get(user=world.owner, kind="export")
    assert response.status_code == 302
    assert response["Location"] == reverse("dataio:job", args=[job.pk])
    assert job.status == JobStatus.DONE and job.result["rows"] == 1
    download = client.get(reverse("dataio:job_download", args=[job.pk]))
    body = b"".join(download.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff") and "王建国" in body
    # Someone else cannot fetch it.
    client.force_login(world.outsider)
    assert client.get(reverse("dataio:job_download", args=[job.pk])).status_code == 404


def test_customer_list_export_job_keeps_the_filters(world, client, settings, huey_immediate):
    settings.EXPORT_SYNC_MAX_ROWS_XLSX = 0
    CustomerFactory(owner=world.owner, name="宁波海曙五金有限公司")
    client.force_login(world.owner)
    client.get(reverse("customers:export"), {"q": "宁波", "format": "xlsx"})
    job = Job.objects.get(user=world.owner)
    assert job.params["filters"] == {"q": "宁波"} and job.result["rows"] == 1
    text = _xlsx_text((jobs_dir() / job.output_file).read_bytes())
    assert "宁波海曙五金有限公司" in text and SECRET not in text


def test_job_applies_visibility_when_it_runs(world):
    """A job queued before a customer moved away exports what its user sees at run time."""
    job = export_job_create(user=world.owner, kind="customers", fmt=CSV, language="en", filters={})
    Customer.objects.filter(pk=world.customer.pk).update(owner=world.outsider)
    job = export_job_run(job)
    assert job.status == JobStatus.DONE and job.result["rows"] == 0
    assert SECRET not in (jobs_dir() / job.output_file).read_text("utf-8")


def test_cancelled_job_leaves_no_file(world):
    job = export_job_create(user=world.director, kind="orders", fmt=CSV, language="en", filters={})
    cancel_request(job.pk)
    job = export_job_run(job)
    assert job.status == JobStatus.CANCELLED
    assert not job.output_file
    assert not list(jobs_dir().glob("export-*"))
