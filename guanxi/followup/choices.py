"""Codes of the follow-up app, with translatable labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CycleUnit(models.TextChoices):
    WORKDAY = "workday", _("working days")
    WEEK = "week", _("weeks")
    MONTH = "month", _("months")


class AgeBand(models.TextChoices):
    ANY = "", _("Any relationship age")
    NEW = "new", _("New customer (first month)")  # 新客户(首月)
    ESTABLISHED = "established", _("Customer of 3+ months")  # 合作3个月以上


class Touch(models.TextChoices):
    CALL = "call", _("Follow-up call")  # 跟进电话
    CHECK_IN = "check_in", _("Check-in call")  # 新客户每周电话
    VISIT = "visit", _("Visit")  # 拜访
    VALUE = "value", _("Value touch")  # 价值触达
    FORMAL = "formal", _("Formal follow-up")  # 正式跟进
    FACE = "face", _("Face-to-face meeting")  # 面对面
    CARE = "care", _("Personal care")  # 专属关怀
    MANAGER = "manager", _("Manager contact")  # 经理联系
    EXECUTIVE = "executive", _("Executive visit")  # 高层拜访


class Slot(models.TextChoices):
    AM_GOLDEN = "am_golden", _("Morning golden hours")  # 上午黄金时间
    PM_GOLDEN = "pm_golden", _("Afternoon golden hours")  # 下午黄金时间
    OFF_PEAK = "off_peak", _("Outside golden hours")


class Reason(models.TextChoices):
    """Why a customer is on a call list, in priority order (bucket = position)."""

    CLASS_1 = "class_1", _("Class 1: contract returned, collect the payment")
    CLASS_2 = "class_2", _("Class 2: contract sent, chase it")
    OVERDUE = "overdue", _("Follow-up overdue")
    CONTRACT_EXPIRED = "contract_expired", _("Contract expired")
    KEY_3 = "key_3", _("Key 3 due for follow-up")
    ORDINARY_3 = "ordinary_3", _("Ordinary 3 due for follow-up")
    REPURCHASE = "repurchase", _("Repurchase due or warning")
    NEW = "new", _("New customer, not yet classified")
    POOL = "pool", _("Class 4/5 pool due for follow-up")
    OTHER = "other", _("Due for follow-up")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
