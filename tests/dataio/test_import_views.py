"""Import pages: upload → mapping → preview → confirm → job; profiles; scoping."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from huey.contrib.djhuey import HUEY
from python_calamine import CalamineWorkbook

from guanxi.customers.models import Customer
from guanxi.dataio.models import ImportProfile, Job, JobStatus
from guanxi.dataio.progress import jobs_dir

pytestmark = pytest.mark.django_db

CSV = (
    "客户名称,行业,年销售额(万元),电话\n"
    "宁波甬江模具有限公司,制造业,80,0574-1234567\n"
    "坏行业公司,造火箭,1,\n"
)


@pytest.fixture
def huey_immediate(monkeypatch):
    monkeypatch.setattr(HUEY, "immediate", True)


def _upload(client, content: bytes, name="客户.csv", kind="customers"):
    response = client.post(
        reverse("dataio:import"),
        {"file": SimpleUploadedFile(name, content), "kind": kind, "encoding": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return int(re.search(r"/import/(\d+)/mapping/", response["Location"]).group(1))


def _mapping_post(client, draft_id, **extra):
    page = client.get(reverse("dataio:import_mapping", args=[draft_id]))
    form = page.context["form"]
    data = {name: field.initial or "" for name, field in form.fields.items()}
    data["default_owner"] = form.fields["default_owner"].initial
    data.update(extra)
    data = {k: v for k, v in data.items() if v not in (None, False)}
    return client.post(reverse("dataio:import_mapping", args=[draft_id]), data)


def test_full_flow_with_gbk_file(world, login, huey_immediate):
    client = login(world.owner)
    draft = _upload(client, CSV.encode("gbk"))
    page = client.get(reverse("dataio:import_mapping", args=[draft]))
    body = page.content.decode()
    assert "gb18030" in body and "宁波甬江模具有限公司" in body
    form = page.context["form"]
    assert form["col_0"].initial == "name" and form["col_2"].initial == "annual_revenue"
    assert form["unit_2"].initial == "10000" and form["key"].initial == "name"

    response = _mapping_post(client, draft, save_as="CRM 导出")
    preview_url = response["Location"]
    preview = client.get(preview_url)
    result = preview.context["result"]
    assert result["counts"] == {"new": 1, "updated": 0, "unchanged": 0, "error": 1}
    assert not preview.context["can_import"]  # all-or-nothing with an error row
    assert not Customer.objects.filter(name="宁波甬江模具有限公司").exists()
    job = preview.context["job"]
    report = CalamineWorkbook.from_path(str(jobs_dir() / job.output_file))
    rows = report.get_sheet_by_index(0).to_python()
    assert rows[1][:2] == [3, "行业"] and "造火箭" in rows[1][2]
    assert client.get(reverse("dataio:job_download", args=[job.pk])).status_code == 200
    assert ImportProfile.objects.filter(user=world.owner, name="CRM 导出").exists()
    refused = client.post(reverse("dataio:import_confirm", args=[job.pk]))
    assert refused.status_code == 302 and "/preview/" in refused["Location"]
    assert not Customer.objects.filter(name="宁波甬江模具有限公司").exists()

    # back to the mapping, choose "valid rows only", confirm
    response = _mapping_post(client, draft, valid_only="on")
    preview = client.get(response["Location"])
    assert preview.context["can_import"]
    confirm = client.post(reverse("dataio:import_confirm", args=[preview.context["job"].pk]))
    job = Job.objects.get(pk=int(re.search(r"/jobs/(\d+)/", confirm["Location"]).group(1)))
    assert job.status == JobStatus.DONE and job.result["written"]
    assert job.result["counts"]["new"] == 1
    c = Customer.objects.get(name="宁波甬江模具有限公司")
    assert c.owner == world.owner and str(c.annual_revenue) == "800000.00"


def test_saved_profile_is_applied_to_the_next_file(world, login):
    client = login(world.owner)
    first = _upload(client, b"Firma,Stadt\nA GmbH,Berlin\n")
    _mapping_post(client, first, col_0="name", col_1="city", save_as="German CRM")
    second = _upload(client, "Stadt,Firma\nMünchen,B GmbH\n".encode())
    page = client.get(reverse("dataio:import_mapping", args=[second]))
    assert page.context["profile"].name == "German CRM"
    assert page.context["form"]["col_0"].initial == "city"
    assert page.context["form"]["col_1"].initial == "name"


def test_another_users_draft_is_404(world, login):
    draft = _upload(login(world.owner), b"name\nX\n")
    client = login(world.teammate)
    assert client.get(reverse("dataio:import_mapping", args=[draft])).status_code == 404
    assert client.get(reverse("dataio:import_preview", args=[draft])).status_code == 404
    assert client.post(reverse("dataio:import_confirm", args=[draft])).status_code == 404


def test_upload_rejects_other_file_types(world, login):
    client = login(world.owner)
    response = client.post(
        reverse("dataio:import"),
        {"file": SimpleUploadedFile("x.pdf", b"%PDF"), "kind": "customers"},
    )
    assert response.status_code == 200 and response.context["form"].errors["file"]


def test_mapping_with_a_field_twice_is_refused(world, login):
    client = login(world.owner)
    draft = _upload(client, "公司,客户名称\nA,B\n".encode())
    response = _mapping_post(client, draft, col_0="name", col_1="name")
    assert response.status_code == 200 and response.context["form"].non_field_errors()
