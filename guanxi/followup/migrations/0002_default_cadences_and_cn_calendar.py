"""Default cadence rules (SPEC §6 table, seed 001 relationship ages) and the
Chinese public holidays / make-up working days of 2025 and 2026 (State Council
notices). Reversible: the reverse removes exactly these rows."""

import datetime as dt

from django.db import migrations

# (maturity, segment, age_band, touch, cycle_min, cycle_max, unit, note)
RULES = [
    ("0", "", "", "call", 1, 1, "workday", "class 0: every day until classified"),
    ("1", "", "", "call", 1, 1, "workday", "class 1: every day"),
    ("2", "", "", "call", 1, 3, "workday", "class 2: 1–3 working days"),
    ("3k", "", "", "call", 2, 5, "workday", "key 3: 2–5 working days"),
    ("3o", "", "", "call", 5, 8, "workday", "ordinary 3: 5–8 working days"),
    ("4k", "", "", "call", 5, 7, "workday", "key 4: 5–7 working days"),
    ("4o", "", "", "call", 8, 14, "workday", "ordinary 4: 8–14 working days"),
    ("5", "", "", "call", 1, 1, "month", "class 5: monthly"),
    ("6", "", "", "call", 1, 1, "month", "class 6: monthly"),
    ("7", "", "", "call", 1, 1, "month", "class 7: monthly"),
    ("", "", "new", "check_in", 1, 1, "week", "new customer: weekly call"),
    ("", "", "new", "visit", 1, 1, "month", "new customer: monthly visit"),
    ("", "", "established", "value", 2, 2, "week", "3+ months: fortnightly value touch"),
    ("", "", "established", "formal", 1, 1, "month", "3+ months: monthly formal follow-up"),
    ("", "", "established", "face", 3, 3, "month", "3+ months: quarterly face-to-face"),
    ("", "four:high_value", "", "care", 1, 1, "week", "high value: weekly personal care"),
    ("", "four:high_value", "", "manager", 1, 1, "month", "high value: monthly manager contact"),
    ("", "abc:A", "", "executive", 6, 6, "month", "A class: executive visit every half year"),
]


def _span(a: str, b: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


HOLIDAYS = [
    *_span("2025-01-01", "2025-01-01"),
    *_span("2025-01-28", "2025-02-04"),
    *_span("2025-04-04", "2025-04-06"),
    *_span("2025-05-01", "2025-05-05"),
    *_span("2025-05-31", "2025-06-02"),
    *_span("2025-10-01", "2025-10-08"),
    *_span("2026-01-01", "2026-01-03"),
    *_span("2026-02-15", "2026-02-23"),
    *_span("2026-04-04", "2026-04-06"),
    *_span("2026-05-01", "2026-05-05"),
    *_span("2026-06-19", "2026-06-21"),
    *_span("2026-09-25", "2026-09-27"),
    *_span("2026-10-01", "2026-10-07"),
]
MAKEUP = [
    dt.date.fromisoformat(d)
    for d in (
        "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
    )
]


def forwards(apps, schema_editor):
    CadenceRule = apps.get_model("followup", "CadenceRule")
    WorkCalendarDay = apps.get_model("followup", "WorkCalendarDay")
    CadenceRule.objects.bulk_create(
        CadenceRule(
            maturity=m, segment=s, age_band=a, touch=t, cycle_min=lo, cycle_max=hi, unit=u, note=n
        )
        for m, s, a, t, lo, hi, u, n in RULES
    )
    WorkCalendarDay.objects.bulk_create(
        [WorkCalendarDay(day=d, is_working=False, note="holiday") for d in HOLIDAYS]
        + [WorkCalendarDay(day=d, is_working=True, note="make-up working day") for d in MAKEUP]
    )


def backwards(apps, schema_editor):
    CadenceRule = apps.get_model("followup", "CadenceRule")
    WorkCalendarDay = apps.get_model("followup", "WorkCalendarDay")
    for m, s, a, t, *_rest in RULES:
        CadenceRule.objects.filter(maturity=m, segment=s, age_band=a, touch=t).delete()
    WorkCalendarDay.objects.filter(day__in=HOLIDAYS + MAKEUP).delete()


class Migration(migrations.Migration):
    dependencies = [("followup", "0001_cadences_calendar_followups_calllists")]

    operations = [migrations.RunPython(forwards, backwards)]
