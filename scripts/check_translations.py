"""Fail when a gettext catalog has entries that are untranslated, fuzzy, or whose
placeholders differ between msgid and msgstr; in a Chinese catalog, also when a
translation puts half-width punctuation (, ; : ? ! and brackets) against Chinese text.

    python scripts/check_translations.py [CATALOG.po ...]

Without arguments it checks every guanxi/locale/*/LC_MESSAGES/*.po. Pure Python (no
Django, no polib), so the test suite imports `check_catalog` from here.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOGS = sorted((ROOT / "guanxi" / "locale").glob("*/LC_MESSAGES/*.po"))

# %(name)s and, in python-format entries, unnamed %s / %5.2f (same grammar as msgfmt).
PRINTF = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?"  # optional (name)
    r"[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"  # flags, width, precision, length
    r"(?P<conv>[diouxXeEfFgGcrsa%])"
)
# {count}, {0}, {name!r:>5}; "{{" and "}}" are literal braces.
BRACE = re.compile(r"(?<!\{)\{(?P<name>[A-Za-z_]\w*|\d*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
# Chinese characters and full-width punctuation; half-width , ; : ? ! ( ) touching them,
# or , ; : right after a placeholder, should be their full-width forms.
CHINESE = "\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
HALF_WIDTH = re.compile(rf"(?<=[{CHINESE}]) ?[,;:?!(]|[,;:?!)] ?(?=[{CHINESE}])|(?<=\)[sd])[,;:]")
KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    kind: str  # "untranslated" | "fuzzy" | "placeholders" | "punctuation"
    msgid: str
    detail: str = ""

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.path}:{self.line}: {self.kind}: {self.msgid!r}{extra}"


def _unquote(literal: str) -> str:
    body = literal.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def parse_catalog(text: str) -> list[Entry]:
    """Entries of a .po file, header included (msgid ""); obsolete (#~) ones are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # which string a continuation line extends

    def finish() -> None:
        nonlocal current, target
        if current is not None and current.msgstr:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        match = KEYWORD.match(line)
        if match:
            keyword, index, literal = match.groups()
            if keyword in ("msgctxt", "msgid") and current is not None and current.msgstr:
                finish()
            if current is None:
                current = Entry(line=number)
            value = _unquote(literal)
            if keyword == "msgctxt":
                current.msgctxt, target = value, ("msgctxt", 0)
            elif keyword == "msgid":
                current.msgid, current.line, target = value, number, ("msgid", 0)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else -1
                current.msgstr[slot], target = value, ("msgstr", slot)
        elif line.startswith('"') and current is not None and target is not None:
            name, slot = target
            value = _unquote(line)
            if name == "msgstr":
                current.msgstr[slot] += value
            else:
                setattr(current, name, (getattr(current, name) or "") + value)
    finish()
    return entries


def placeholders(text: str, python_format: bool) -> tuple[list[str], list[str]]:
    """(named placeholders as a sorted set, unnamed ones in order: python-format text only)."""
    named: list[str] = []
    unnamed: list[str] = []
    for match in PRINTF.finditer(text):
        if match.group("conv") == "%" and match.group("name") is None:
            continue
        if match.group("name") is not None:
            named.append(f"%({match.group('name')}){match.group('conv')}")
        elif python_format:
            unnamed.append(f"%{match.group('conv')}")
    named += [f"{{{m.group('name')}}}" for m in BRACE.finditer(text)]
    return sorted(set(named)), unnamed


def _show(found: tuple[list[str], list[str]]) -> str:
    return " ".join(found[0] + found[1]) or "none"


def _language(entries: list[Entry]) -> str:
    """The Language: field of the catalog's header entry, or ""."""
    for entry in entries:
        if entry.msgid == "" and entry.msgctxt is None:
            header = "\n".join(entry.msgstr.values())
            found = re.search(r"^Language:\s*(\S+)", header, re.MULTILINE)
            return found.group(1) if found else ""
    return ""


def check_entries(entries: list[Entry], path: Path) -> list[Problem]:
    problems: list[Problem] = []
    chinese = _language(entries).lower().startswith("zh")
    for entry in entries:
        label = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}|{entry.msgid}"
        if "fuzzy" in entry.flags:
            problems.append(Problem(path, entry.line, "fuzzy", label))
        if entry.msgid == "" and entry.msgctxt is None:
            continue  # the header: only the fuzzy flag matters
        strings = entry.msgstr
        if not strings or any(not text for text in strings.values()):
            problems.append(Problem(path, entry.line, "untranslated", label))
            continue
        python_format = "python-format" in entry.flags
        source = entry.msgid_plural if entry.msgid_plural is not None else entry.msgid
        expected = placeholders(source, python_format)
        for text in strings.values():
            found = placeholders(text, python_format)
            if found != expected:
                detail = f"msgid has {_show(expected)}, msgstr has {_show(found)}"
                problems.append(Problem(path, entry.line, "placeholders", label, detail))
                break
        for text in strings.values() if chinese else ():
            found = HALF_WIDTH.search(text)
            if found:
                near = text[max(0, found.start() - 8) : found.end() + 8]
                mark = found.group().strip()
                detail = f"half-width {mark!r} in {near!r}: use the full-width form"
                problems.append(Problem(path, entry.line, "punctuation", label, detail))
                break
    return problems


def check_catalog(path: Path) -> list[Problem]:
    """Every problem of one .po file; an empty list means the catalog is complete."""
    return check_entries(parse_catalog(path.read_text(encoding="utf-8")), path)


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or DEFAULT_CATALOGS
    if not paths:
        print("no catalogs found", file=sys.stderr)
        return 2
    problems: list[Problem] = []
    count = 0
    for path in paths:
        entries = parse_catalog(path.read_text(encoding="utf-8"))
        count += sum(1 for entry in entries if entry.msgid or entry.msgctxt)
        problems += check_entries(entries, path)
    for problem in problems:
        print(problem)
    print(f"{len(paths)} catalog(s), {count} entries, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
