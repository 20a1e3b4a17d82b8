"""Codes of every score, with translatable labels (Chinese terms in comments)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ValueTier(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")  # 战略客户
    CORE = "core", _("Core")  # 核心客户
    ORDINARY = "ordinary", _("Ordinary")  # 普通客户
    LOW = "low", _("Low value")  # 低价值客户


class PotentialTier(models.TextChoices):
    HIGH = "high", _("High potential")  # 高潜力
    MID = "mid", _("Medium potential")  # 中潜力
    LOW = "low", _("Low potential")  # 低潜力


class PotentialDimension(models.TextChoices):
    NEED_FIT = "need_fit", _("Need fit")  # 需求匹配度
    GROWTH_SPACE = "growth_space", _("Growth space")  # 增长空间
    WILLINGNESS = "willingness", _("Willingness")  # 合作意愿


class Matrix(models.TextChoices):
    """Value × potential (seed 000 step 2 and table 1)."""

    STRATEGIC_HIGH = "strategic_high", _("Strategic, high potential")  # 战略高潜客户
    STRATEGIC_MID = "strategic_mid", _("Strategic, stable")  # 战略稳定客户
    STRATEGIC_LOW = "strategic_low", _("Strategic, at risk of churn")  # 战略流失风险客户
    CORE_HIGH = "core_high", _("Core, high potential")  # 核心高潜客户
    CORE_MID = "core_mid", _("Core, stable")  # 核心稳定客户
    CORE_LOW = "core_low", _("Core, at risk of churn")  # 核心流失风险客户
    ORDINARY_HIGH = "ordinary_high", _("Ordinary, high potential")  # 普通高潜客户
    ORDINARY_MID = "ordinary_mid", _("Ordinary, stable")  # 普通稳定客户
    ORDINARY_LOW = "ordinary_low", _("Ordinary, at risk of churn")  # 普通流失风险客户
    LOW_HIGH = "low_high", _("Low value, to nurture")  # 低价值培育客户
    LOW_MID = "low_mid", _("Low value, low-cost upkeep")  # 低价值维护客户
    LOW_LOW = "low_low", _("Low value, to phase out")  # 低价值待清退客户


class RfmSegment(models.TextChoices):
    IMPORTANT_VALUE = "important_value", _("Important value")  # 重要价值客户
    IMPORTANT_DEVELOP = "important_develop", _("Important to develop")  # 重要发展客户
    IMPORTANT_RETAIN = "important_retain", _("Important to retain")  # 重要保持客户
    IMPORTANT_WINBACK = "important_winback", _("Important to win back")  # 重要挽留客户
    GENERAL_VALUE = "general_value", _("General value")  # 一般价值客户
    GENERAL_DEVELOP = "general_develop", _("General to develop")  # 一般发展客户
    GENERAL_RETAIN = "general_retain", _("General to retain")  # 一般保持客户
    GENERAL_WINBACK = "general_winback", _("General to win back")  # 一般挽留客户


class FourClass(models.TextChoices):
    """Seed 003 step 3."""

    HIGH_VALUE = "high_value", _("High value")  # 高价值客户
    POTENTIAL = "potential", _("Potential")  # 潜力客户
    STABLE = "stable", _("Stable")  # 稳定客户
    LOW_VALUE = "low_value", _("Low value / silent")  # 低价值/沉默客户


class HealthGrade(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")  # 健康
    SUB_HEALTHY = "sub_healthy", _("Sub-healthy")  # 亚健康
    AT_RISK = "at_risk", _("At risk")  # 风险


class HealthProblem(models.TextChoices):
    NONE = "", _("None")  # 无
    LOW_SALES = "low_sales", _("Low sales")  # 销售额低
    LOW_REPURCHASE = "low_repurchase", _("Low repurchase rate")  # 复购率低
    LOW_SATISFACTION = "low_satisfaction", _("Low satisfaction")  # 满意度低
    LOW_INTERACTION = "low_interaction", _("Infrequent interaction")  # 互动频率低


# Suggested action per main problem (seed 000 table 4 and step 4).
HEALTH_ACTIONS = {
    "": _("Keep deepening the cooperation"),  # 持续深化合作
    "low_sales": _("Cross-sell and up-sell; review the account plan"),  # 交叉销售、向上销售
    "low_repurchase": _(
        "Send a coupon with usage guidance and call about needs"
    ),  # 专属优惠券+使用引导
    "low_satisfaction": _(
        "Send a survey, analyse the causes and win the customer back"
    ),  # 发放调研问卷分析原因,针对性挽回
    "low_interaction": _("Increase contact to at least monthly"),  # 增加月度沟通频次
}


class LeadGrade(models.TextChoices):
    HIGH_POTENTIAL = "high_potential", _("High-potential lead")  # 高潜力线索
    ORDINARY = "ordinary", _("Ordinary lead")  # 普通线索
    NURTURE = "nurture", _("Nurture lead")  # 培育线索


class Lifecycle(models.TextChoices):
    EXPLORATION = "exploration", _("Exploration")  # 考察期
    FORMATION = "formation", _("Formation")  # 形成期
    STABLE = "stable", _("Stable")  # 稳定期
    DECLINE = "decline", _("Decline")  # 退化期
    DORMANT = "dormant", _("Dormant")  # 休眠
    CHURNED = "churned", _("Churned")  # 流失


class CreditRating(models.TextChoices):
    A = "A", _("A")
    B = "B", _("B")
    C = "C", _("C")
    D = "D", _("D")
    E = "E", _("E (no credit: payment before shipment)")  # 现款现货


class PaymentMethod(models.TextChoices):
    BANK_DRAFT = "bank_draft", _("Bank cash draft")  # 银行现金汇票
    WIRE = "wire", _("Wire transfer")  # 电汇
    CASH = "cash", _("Cash")  # 现金
    ACCEPTANCE_DRAFT = "acceptance_draft", _("Bank acceptance draft")  # 银行承兑汇票


class PyramidLevel(models.TextChoices):
    KEY = "key", _("Key customer")  # 关键客户
    MAJOR = "major", _("Major customer")  # 主要客户
    ORDINARY = "ordinary", _("Ordinary customer")  # 普通客户
    SMALL = "small", _("Small customer")  # 小客户


class AbcClass(models.TextChoices):
    # xgettext:no-python-format
    A = "A", _("A (top 80% of sales)")
    B = "B", _("B (next 15%)")
    C = "C", _("C (last 5%)")


class Maturity(models.TextChoices):
    """Seed 004 maturity classes (成熟度) with key/ordinary 3 and 4."""

    C0 = "0", _("0 — new, not yet classified")  # 0类 新分配客户
    C1 = "1", _("1 — contract returned, payment pending")  # 1类 合同已回传,未打款
    C2 = "2", _("2 — KP confirmed, contract sent")  # 2类 KP已定,无异议,合同已发出
    C3_KEY = "3k", _("Key 3 — KP with clear intent")  # 重3类
    C3 = "3o", _("Ordinary 3 — KP with interest")  # 普3类
    C4_KEY = "4k", _("Key 4 — KP, low recognition, fewer objections")  # 重点四类
    C4 = "4o", _("Ordinary 4 — KP, low recognition")  # 普通四类
    C5 = "5", _("5 — not a KP / hangs up / 3+ unanswered calls")  # 5类
    C6 = "6", _("6 — broke a promise")  # 6类 毁单
    C7 = "7", _("7 — long-term, may sign within half a year")  # 7类


class Dimension(models.TextChoices):
    VALUE_TIER = "value_tier", _("Value tier")
    POTENTIAL_TIER = "potential_tier", _("Potential tier")
    MATRIX = "matrix", _("Value × potential")
    RFM_SEGMENT = "rfm_segment", _("RFM segment")
    FOUR_CLASS = "four_class", _("Customer class")
    HEALTH_GRADE = "health_grade", _("Health grade")
    LEAD_GRADE = "lead_grade", _("Lead grade")
    LIFECYCLE = "lifecycle", _("Lifecycle stage")
    CREDIT_RATING = "credit_rating", _("Credit rating")
    PYRAMID = "pyramid", _("Pyramid level")
    ABC = "abc", _("ABC class")
    MATURITY = "maturity", _("Maturity class")


class ChangeCause(models.TextChoices):
    DATA = "data", _("New data")  # 数据变化
    STANDARD = "standard", _("New standard")  # 标准变更
    MANUAL = "manual", _("Set by a person")  # 人工设定
    AUTO = "auto", _("Automatic rule")  # 自动规则
    CONTRACT = "contract", _("Contract event")  # 合同事件


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RunMode(models.TextChoices):
    FULL = "full", _("Full: every customer from the raw data")
    NIGHTLY = "nightly", _("Nightly: changed customers and crossed thresholds")


# Labels per dimension, for rendering history and explanations.
DIMENSION_CHOICES = {
    "value_tier": ValueTier,
    "potential_tier": PotentialTier,
    "matrix": Matrix,
    "rfm_segment": RfmSegment,
    "four_class": FourClass,
    "health_grade": HealthGrade,
    "lead_grade": LeadGrade,
    "lifecycle": Lifecycle,
    "credit_rating": CreditRating,
    "pyramid": PyramidLevel,
    "abc": AbcClass,
    "maturity": Maturity,
}
