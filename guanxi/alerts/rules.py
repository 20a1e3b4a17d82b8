"""Rule registry: defaults, validation of thresholds, and the effective configuration.

Hooks: rules whose source data does not exist yet (complaints, contracts) are listed in
`PENDING_HOOKS`; `sql.CAUSES` gains an entry for each when its app lands.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import AlertRule, Rule

# name -> (default, minimum, maximum); all integers
DEFAULTS: dict[str, dict[str, tuple[int, int, int]]] = {
    Rule.REPURCHASE_DUE: {
        "lead_days": (7, 0, 90),
        "min_orders": (3, 2, 50),
        "last_intervals": (5, 1, 50),
    },
    Rule.CHURN_NO_ACTIVITY: {"days": (30, 1, 3650)},
    Rule.CHURN_FREQUENCY: {
        "window_days": (90, 7, 730),
        "history_days": (365, 30, 3650),
        "ratio_percent": (50, 1, 100),
        "min_history_orders": (4, 1, 1000),
    },
    Rule.DORMANT: {"days": (180, 1, 3650)},
    Rule.REACTIVATION: {"days": (90, 1, 3650)},
    Rule.INTERACTION_NOT_LOGGED: {"grace_hours": (1, 0, 72), "lookback_days": (30, 1, 365)},
    Rule.PROFILE_STALE: {"days": (30, 1, 3650)},
}

# Future causes: churn on an unresolved complaint (guanxi/service) and contract expiry
# (guanxi/pipeline). Each becomes a Rule member, a DEFAULTS entry and a `sql.CAUSES` entry.
PENDING_HOOKS = ("complaint_unresolved", "contract_expiry")


@dataclass(frozen=True)
class RuleConfig:
    key: str
    enabled: bool
    params: dict[str, int]


def validate_params(key: str, params: Any) -> dict[str, int]:
    """Complete `params` with defaults; refuse unknown names, non-integers, out-of-range."""
    if key not in DEFAULTS:
        raise ValidationError(_("Unknown rule: %(key)s") % {"key": key})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ValidationError(_("Thresholds must be an object of name: number."))
    spec = DEFAULTS[key]
    unknown = sorted(set(params) - set(spec))
    if unknown:
        raise ValidationError(_("Unknown thresholds: %(names)s") % {"names": ", ".join(unknown)})
    out: dict[str, int] = {}
    for name, (default, lo, hi) in spec.items():
        value = params.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(_("%(name)s must be a whole number.") % {"name": name})
        if not lo <= value <= hi:
            raise ValidationError(
                _("%(name)s must be between %(lo)s and %(hi)s.")
                % {"name": name, "lo": lo, "hi": hi}
            )
        out[name] = value
    return out


def rule_configs() -> dict[str, RuleConfig]:
    """Effective configuration of every rule (stored rows over defaults)."""
    stored = {r.key: r for r in AlertRule.objects.all()}
    out = {}
    for key in DEFAULTS:
        row = stored.get(key)
        if row is None:
            out[key] = RuleConfig(key, True, validate_params(key, {}))
        else:
            out[key] = RuleConfig(key, row.enabled, validate_params(key, row.params))
    return out
