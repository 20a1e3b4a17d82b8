"""Store every rule's default configuration as data (editable in the admin)."""

from django.db import migrations

DEFAULTS = {
    "repurchase_due": {"lead_days": 7, "min_orders": 3, "last_intervals": 5},
    "churn_no_activity": {"days": 30},
    "churn_frequency": {
        "window_days": 90,
        "history_days": 365,
        "ratio_percent": 50,
        "min_history_orders": 4,
    },
    "dormant": {"days": 180},
    "reactivation": {"days": 90},
    "interaction_not_logged": {"grace_hours": 1, "lookback_days": 30},
    "profile_stale": {"days": 30},
}


def forwards(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    for key, params in DEFAULTS.items():
        AlertRule.objects.get_or_create(key=key, defaults={"enabled": True, "params": params})


def backwards(apps, schema_editor):
    apps.get_model("alerts", "AlertRule").objects.filter(key__in=DEFAULTS).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_alerts_rules_receipts_preferences")]
    operations = [migrations.RunPython(forwards, backwards)]
