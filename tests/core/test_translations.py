"""Every UI string has a Simplified Chinese translation (scripts/check_translations.py).

To fix a failure: run `manage.py makemessages -l zh_Hans ...` (see docs), translate the
new or fuzzy entries in guanxi/locale/zh_Hans/LC_MESSAGES/django.po, then compilemessages.
"""

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from scripts.check_translations import DEFAULT_CATALOGS, ROOT, check_catalog, main, parse_catalog

CATALOG = ROOT / "guanxi" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
IGNORED = (".venv", "node_modules", "var", "bench")  # as in the documented command
GETTEXT = all(shutil.which(tool) for tool in ("xgettext", "msgmerge", "msguniq", "msgfmt"))


def _report(problems: list) -> str:
    return "\n".join(str(p) for p in problems)


def test_catalog_is_complete():
    assert CATALOG in DEFAULT_CATALOGS
    problems = [problem for path in DEFAULT_CATALOGS for problem in check_catalog(path)]
    assert not problems, _report(problems)


def _mirror_sources(target: Path) -> None:
    """Copy what makemessages reads (.py, .html, .txt) into target, skipping what the
    project's makemessages command ignores, so extraction never touches the real tree."""
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in IGNORED and not d.startswith(".")]
        for name in filenames:
            if name.endswith((".py", ".html", ".txt")):
                source = Path(dirpath) / name
                destination = target / source.relative_to(ROOT)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)


@pytest.mark.skipif(not GETTEXT, reason="GNU gettext tools are not installed")
def test_catalog_covers_every_marked_string(tmp_path, settings, monkeypatch):
    """Extract the strings of the current code into a copy of the catalog: a string marked
    for translation but missing from django.po shows up here as untranslated."""
    _mirror_sources(tmp_path)
    copy = tmp_path / CATALOG.relative_to(ROOT)
    copy.parent.mkdir(parents=True)
    shutil.copyfile(CATALOG, copy)
    settings.LOCALE_PATHS = [tmp_path / "guanxi" / "locale"]
    monkeypatch.chdir(tmp_path)
    ignore = [f"--ignore={name}" for name in IGNORED]
    call_command("makemessages", "-l", "zh_Hans", "--no-obsolete", *ignore, stdout=io.StringIO())
    problems = check_catalog(copy)
    assert not problems, "run makemessages and translate:\n" + _report(problems)


@pytest.mark.skipif(not GETTEXT, reason="GNU gettext tools are not installed")
def test_catalog_compiles():
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        ["msgfmt", "--check", "-o", os.devnull, str(CATALOG)],  # noqa: S607
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


SAMPLE = r"""
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=1; plural=0;\n"

msgid "Customers"
msgstr "客户"

#, python-format
msgid "Edit %(name)s"
msgstr "编辑 %(name)s"

#, python-format
msgid "%(counter)s customer"
msgid_plural "%(counter)s customers"
msgstr[0] "%(counter)s 个"
"客户"

msgid "Saved {count} rows, 100%% done"
msgstr "已保存 {count} 行,100%% 完成"

msgid "Trash"
msgstr ""

#, fuzzy
msgid "Restore"
msgstr "还原"

#, python-format
msgid "Customer %(name)s saved."
msgstr "客户已保存。"

msgid "Hello {name}"
msgstr "你好 {nom}"

#, python-format
msgid "%s of %d"
msgstr "%d 中的 %s"

#, python-format
msgid "%(n)s item"
msgid_plural "%(n)s items"
msgstr[0] ""

#~ msgid "Old"
#~ msgstr ""
"""


def test_checker_reports_each_kind_of_problem(tmp_path):
    path = tmp_path / "sample.po"
    path.write_text(SAMPLE, encoding="utf-8")
    entries = parse_catalog(SAMPLE)
    assert [e.msgid for e in entries][:3] == ["", "Customers", "Edit %(name)s"]
    assert entries[3].msgstr == {0: "%(counter)s 个客户"}
    found = {(p.kind, p.msgid) for p in check_catalog(path)}
    assert found == {
        ("untranslated", "Trash"),
        ("fuzzy", "Restore"),
        ("placeholders", "Customer %(name)s saved."),
        ("placeholders", "Hello {name}"),
        ("placeholders", "%s of %d"),
        ("untranslated", "%(n)s item"),
    }


def test_fuzzy_header_is_reported(tmp_path):
    path = tmp_path / "header.po"
    path.write_text('#, fuzzy\nmsgid ""\nmsgstr "Language: zh_Hans\\n"\n', encoding="utf-8")
    assert [(p.kind, p.msgid) for p in check_catalog(path)] == [("fuzzy", "")]


def test_command_line_exit_status(tmp_path):
    good = tmp_path / "good.po"
    good.write_text(
        'msgid ""\nmsgstr "Language: zh_Hans\\n"\n\nmsgid "Save"\nmsgstr "保存"\n', encoding="utf-8"
    )
    bad = tmp_path / "bad.po"
    bad.write_text('msgid "Save"\nmsgstr ""\n', encoding="utf-8")
    assert main([str(good)]) == 0
    assert main([str(good), str(bad)]) == 1


PUNCTUATION = """msgid ""
msgstr "Language: {language}\\n"

#, python-format
msgid "%(path)s: must be a number."
msgstr "%(path)s:必须填写数字。"

msgid "Satisfaction (1–5)"
msgstr "满意度(1–5)"

msgid "Who is the key person?"
msgstr "谁是关键人？"

#, python-format
msgid "%(status)s, %(customers)s customers"
msgstr "%(status)s,%(customers)s 个客户"

#, python-format
msgid "%(label)s: +%(points)s"
msgstr "%(label)s:+%(points)s"

msgid "Excel workbook (.xlsx)"
msgstr "Excel 工作簿（.xlsx）"
"""


def test_half_width_punctuation_against_chinese_text_is_reported(tmp_path):
    chinese = tmp_path / "zh.po"
    chinese.write_text(PUNCTUATION.format(language="zh_Hans"), encoding="utf-8")
    found = {(p.kind, p.msgid) for p in check_catalog(chinese)}
    assert found == {
        ("punctuation", "%(path)s: must be a number."),
        ("punctuation", "Satisfaction (1–5)"),
        ("punctuation", "%(status)s, %(customers)s customers"),
        ("punctuation", "%(label)s: +%(points)s"),
    }
    other = tmp_path / "en.po"  # only Chinese catalogs are held to it
    other.write_text(PUNCTUATION.format(language="en"), encoding="utf-8")
    assert check_catalog(other) == []
