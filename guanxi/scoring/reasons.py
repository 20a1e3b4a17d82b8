"""Catalogue of explanation messages (pure Python, no Django import).

Rules return reasons as ``(code, params)``; the code maps to an English msgid
below, marked with ``gettext_noop`` so ``makemessages`` extracts it. Selectors
translate the msgid at display time and interpolate the params, so stored
explanations follow the reader's language.
"""


def gettext_noop(message: str) -> str:
    """Mark a string for translation without translating it (xgettext keyword)."""
    return message


MESSAGES: dict[str, str] = {
    # value tier (价值分层)
    "vt_flag": gettext_noop("Marked as a strategic customer (strategic flag)"),
    "vt_no_orders": gettext_noop("No orders yet: value tier not assessed"),
    "vt_band": gettext_noop("12-month sales %(sales)s ≥ %(min)s"),
    "vt_below": gettext_noop("12-month sales %(sales)s below %(min)s"),
    "vt_margin_ok": gettext_noop("gross margin %(margin)s%% ≥ %(min)s%%"),
    "vt_margin_low": gettext_noop(
        "gross margin %(margin)s%% below the %(min)s%% needed for %(tier)s"
    ),
    "vt_margin_unknown": gettext_noop("gross margin unknown: margin condition not applied"),
    # potential tier (潜力分层)
    "pt_dimension": gettext_noop("%(dimension)s %(score)s/100 (weight %(weight)s)"),
    "pt_rule": gettext_noop("%(label)s: +%(points)s"),
    "pt_total": gettext_noop("potential score %(score)s ≥ %(min)s"),
    # RFM
    "rfm_none": gettext_noop("No orders on or before the reference date: no RFM"),
    "rfm_r": gettext_noop("R=%(score)s: last order %(days)s days ago; cut-offs %(cutoffs)s"),
    "rfm_f": gettext_noop(
        "F=%(score)s: %(value)s order days in the last %(window)s days; cut-offs %(cutoffs)s"
    ),
    "rfm_m": gettext_noop(
        "M=%(score)s: sales %(value)s in the last %(window)s days; cut-offs %(cutoffs)s"
    ),
    "rfm_segment": gettext_noop("R, F, M count as high from %(min)s"),
    # four classes (四类客户)
    "fc_none": gettext_noop("No orders yet: not classified"),
    "fc_match": gettext_noop("All conditions of the class met"),
    "fc_band": gettext_noop(
        "Conditions of the class not all met: classified by annual sales %(sales)s alone"
    ),
    "fc_need_sales": gettext_noop("annual sales %(sales)s outside the band"),
    "fc_need_recency": gettext_noop("last order %(days)s days ago, more than %(limit)s"),
    "fc_need_tenure_min": gettext_noop("customer for %(days)s days, less than %(limit)s"),
    "fc_need_tenure_max": gettext_noop("customer for %(days)s days, not less than %(limit)s"),
    "fc_silent": gettext_noop("No order for %(days)s days (silent after %(limit)s)"),
    "fc_low": gettext_noop("Annual sales %(sales)s below %(min)s"),
    "fc_fact": gettext_noop(
        "annual sales %(sales)s, last order %(days)s days ago, customer for %(tenure)s days"
    ),
    # health (健康度)
    "hs_none": gettext_noop("No orders yet: health not assessed"),
    "hs_sales": gettext_noop("sales %(score)s/100: 12-month sales %(sales)s of %(ref)s"),
    "hs_repurchase": gettext_noop(
        "repurchase rate %(score)s/100: ordered in %(quarters)s of the last 4 quarters"
    ),
    "hs_satisfaction": gettext_noop("satisfaction %(score)s/100: rated %(rating)s of 5"),
    "hs_satisfaction_unknown": gettext_noop(
        "satisfaction %(score)s/100: no rating, counted as neutral"
    ),
    "hs_interaction": gettext_noop(
        "interaction frequency %(score)s/100: %(count)s interactions in %(window)s days "
        "(target %(target)s)"
    ),
    "hs_total": gettext_noop(
        "health %(score)s: weighted sum (weights %(weights)s); grade from %(min)s"
    ),
    # lead score (线索评分)
    "ls_rule": gettext_noop("%(label)s: %(points)s"),
    "ls_total": gettext_noop("lead score %(score)s (qualified from %(qualified)s)"),
    # lifecycle (生命周期)
    "lc_lost": gettext_noop("Funnel stage is lost"),
    "lc_churned": gettext_noop(
        "No order or interaction for %(days)s days (churned after %(limit)s)"
    ),
    "lc_dormant": gettext_noop("No interaction for %(days)s days (dormant after %(limit)s)"),
    "lc_exploration": gettext_noop("No order yet"),
    "lc_formation": gettext_noop("First order %(days)s days ago (forming for %(limit)s days)"),
    "lc_decline_drop": gettext_noop(
        "Sales of the last half-window %(recent)s below %(pct)s%% of the half before (%(previous)s)"
    ),
    "lc_decline_gap": gettext_noop("No order for %(days)s days (decline after %(limit)s)"),
    "lc_stable": gettext_noop("Buying regularly for %(days)s days"),
    # credit (信用等级)
    "cr_monthly": gettext_noop("average monthly payment %(value)s: %(points)s points"),
    "cr_method": gettext_noop("payment method %(method)s: %(points)s points"),
    "cr_plan": gettext_noop("plan completion %(pct)s%%: %(points)s points"),
    "cr_no_plan": gettext_noop("no sales plan set: %(points)s points"),
    "cr_total": gettext_noop(
        "%(points)s points → %(rating)s: credit limit %(limit)s, payment term %(term)s days"
    ),
    # pyramid / ABC
    "py_none": gettext_noop("No orders yet: not ranked"),
    "py_level": gettext_noop("12-month %(metric)s %(value)s; level cut-offs %(cutoffs)s"),
    "abc_level": gettext_noop("12-month sales %(value)s; A from %(a)s, B from %(b)s"),
    # maturity (成熟度)
    "mt_new": gettext_noop("New customer, not yet classified"),
    "mt_broken": gettext_noop("Promised payment date %(date)s passed without payment"),
    "mt_contract_sent": gettext_noop("Contract sent"),
    "mt_contract_returned": gettext_noop("Contract returned, payment pending until %(date)s"),
    "mt_manual": gettext_noop("%(note)s"),
}
