"""`guanxi import`: same pipeline on the command line, progress bar, exit status."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from guanxi.customers.models import Customer
from guanxi.dataio.models import ImportProfile

from .importing_helpers import write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _call(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_dry_run_then_import_then_reimport(world, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["客户名称", "城市"], ["常州龙城机电", "常州"]], "gbk")
    out, err = _call(str(path), "--user", "rep_a1", "--dry-run")
    assert "checked: 1 rows" in out and "new 1" in out and "rows/s" in err
    assert not Customer.objects.filter(name="常州龙城机电").exists()
    out, _err = _call(str(path), "--user", "rep_a1", "--no-progress")
    assert "imported: 1 rows" in out
    assert Customer.objects.get(name="常州龙城机电").owner == world.owner
    out, _err = _call(str(path), "--user", "rep_a1", "--no-progress")
    assert "new 0" in out and "unchanged 1" in out


def test_errors_exit_1_and_write_a_report(world, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["客户名称", "负责人"], ["甲公司", "rep_b1"]])
    report = tmp_path / "report.xlsx"
    with pytest.raises(SystemExit) as exit_info:
        _call(str(path), "--user", "rep_a1", "--no-progress", "--report", str(report))
    assert exit_info.value.code == 1
    assert report.is_file()
    assert not Customer.objects.filter(name="甲公司").exists()


def test_saved_mapping_owner_and_overrides(world, tmp_path):
    ImportProfile.objects.create(
        user=world.manager,
        name="ERP",
        kind="customers",
        signature="x",
        mapping={"Kunde": {"target": "name", "unit": ""}, "Ort": {"target": "city", "unit": ""}},
        options={"key": "name"},
    )
    path = write_csv(tmp_path / "c.csv", [["Kunde", "Ort", "Extra"], ["乙公司", "无锡", "x"]])
    _call(
        str(path), "--user", "manager_a", "--mapping", "ERP", "--owner", "rep_a2",
        "--map", "Extra=__notes__", "--no-progress",
    )  # fmt: skip
    c = Customer.objects.get(name="乙公司")
    assert c.city == "无锡" and c.owner == world.teammate and c.notes == "Extra: x"
    with pytest.raises(CommandError):
        _call(str(path), "--user", "manager_a", "--mapping", "missing")


def test_owner_rule_option(world, tmp_path):
    path = write_csv(
        tmp_path / "c.csv", [["客户名称", "城市"], ["丙公司", "绍兴"], ["丁公司", "嘉兴"]]
    )
    _call(str(path), "--user", "manager_a", "--owner-rule", "城市=绍兴:rep_a2", "--no-progress")
    assert Customer.objects.get(name="丙公司").owner == world.teammate
    assert Customer.objects.get(name="丁公司").owner == world.manager  # the default: --user
    with pytest.raises(CommandError, match="Owner rule 1"):
        _call(str(path), "--user", "manager_a", "--owner-rule", "城市=绍兴:nobody")
