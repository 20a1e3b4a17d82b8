"""Default expected stock per rep (seed 004 table: 1类 5, 2类 5, 重3 12–15, 普3 30,
4类 ≤150, 5类 ≤50, 6类 5, 7类 ≤20, 0类 100; 1000 customers per rep) and the
next-week plan standard (Mon 35, Tue 25, Wed 25, Thu 20, Fri 15). Reversible: the
reverse removes exactly these rows."""

from django.db import migrations

# key: (minimum, maximum); blank bound = open
STOCK = {
    "0": (None, 100),
    "1": (5, None),
    "2": (5, None),
    "3k": (12, 15),
    "3o": (30, None),
    "4": (None, 150),
    "5": (None, 50),
    "6": (None, 5),
    "7": (None, 20),
    "total": (1000, None),
}
PLAN = {0: 35, 1: 25, 2: 25, 3: 20, 4: 15}


def seed(apps, schema_editor):
    StockTarget = apps.get_model("followup", "StockTarget")
    PlanTarget = apps.get_model("followup", "PlanTarget")
    for key, (low, high) in STOCK.items():
        StockTarget.objects.get_or_create(key=key, defaults={"minimum": low, "maximum": high})
    for weekday, calls in PLAN.items():
        PlanTarget.objects.get_or_create(weekday=weekday, defaults={"calls": calls})


def unseed(apps, schema_editor):
    apps.get_model("followup", "StockTarget").objects.filter(key__in=STOCK).delete()
    apps.get_model("followup", "PlanTarget").objects.filter(weekday__in=PLAN).delete()


class Migration(migrations.Migration):
    dependencies = [("followup", "0003_monitoring_targets")]

    operations = [migrations.RunPython(seed, unseed)]
