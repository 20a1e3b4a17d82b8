# ruff: noqa: E501  (the synonym table reads best as one target per line)
"""Column mapping: which column of the file fills which field, in Chinese or English.

`auto_map` maps headers through synonyms after normalising them (NFKC, case, spaces
and punctuation dropped) and reads a unit written in the header: 年销售额(万元) is the
annual revenue in units of 10,000 CNY. The user edits the result; `ImportProfile`
(models.py) saves it per source (the set of headers) for the next file alike.

Targets besides fields: IGNORE drops the column on purpose, NOTES appends
"header: value" to the record's notes (customers and contacts only).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guanxi.customers import choices

IGNORE = ""
NOTES = "__notes__"

KINDS = {
    "customers": _("Customers"),
    "contacts": _("Contacts"),
    "orders": _("Orders"),
    "interactions": _("Interactions"),
}

# Multipliers of units written in a header, e.g. 金额(万元), Revenue (k CNY).
UNITS: dict[str, Decimal] = {
    "元": Decimal(1),
    "人民币": Decimal(1),
    "rmb": Decimal(1),
    "cny": Decimal(1),
    "yuan": Decimal(1),
    "千元": Decimal(1000),
    "k": Decimal(1000),
    "kcny": Decimal(1000),
    "万": Decimal(10000),
    "万元": Decimal(10000),
    "百万": Decimal(1000000),
    "百万元": Decimal(1000000),
    "m": Decimal(1000000),
    "mcny": Decimal(1000000),
    "million": Decimal(1000000),
    "亿": Decimal(100000000),
    "亿元": Decimal(100000000),
}
_UNIT_IN_HEADER = re.compile(r"^(.*?)[\s]*[(（\[【]\s*([^)）\]】]*?)\s*[)）\]】]\s*$")


@dataclass(frozen=True)
class Target:
    name: str
    label: Promise | str
    type: str  # text, choice, money, decimal, int, bool, date, datetime, phone, email, url, user
    synonyms: tuple[str, ...] = ()
    max_length: int = 0
    choices: type[models.TextChoices] | None = None
    required: bool = False  # needed to create a record


def _t(name, label, type_="text", synonyms="", **kw) -> Target:
    return Target(name, label, type_, tuple(s for s in synonyms.split("|") if s), **kw)


CUSTOMER_REF = (
    _t("customer_number", _("Customer number"), "text", "客户编号|客户编码|客户号|customer no|customer number|customer code", max_length=20),
    _t("customer_external_id", _("Customer external ID"), "text", "客户外部编号|客户外部id|customer external id|customer id|account id", max_length=64),
    _t("customer_name", _("Customer name"), "text", "客户名称|客户|公司名称|公司|企业名称|单位名称|customer|customer name|company|account|account name", max_length=200),
)  # fmt: skip

TARGETS: dict[str, tuple[Target, ...]] = {
    "customers": (
        _t("number", _("Customer number"), "text", "客户编号|客户编码|客户号|编号|customer no|customer number|customer code|number", max_length=20),
        _t("external_id", _("External ID"), "text", "外部编号|外部id|原系统编号|erp编号|external id|externalid|id|source id|crm id", max_length=64),
        _t("name", _("Company name"), "text", "客户名称|公司名称|企业名称|单位名称|客户|公司|名称|company|company name|customer|customer name|account|account name|name|organization", max_length=200, required=True),
        _t("industry", _("Industry"), "choice", "行业|所属行业|industry|sector", choices=choices.Industry),
        _t("size_band", _("Company size"), "choice", "规模|公司规模|企业规模|人数|员工人数|size|company size|employees", choices=choices.SizeBand),
        _t("annual_revenue", _("Annual revenue"), "money", "年销售额|年营业额|年收入|营业收入|年营收|销售额|annual revenue|revenue|turnover|annual sales"),
        _t("address", _("Address"), "text", "地址|公司地址|详细地址|address", max_length=300),
        _t("city", _("City"), "text", "城市|所在城市|地区|city", max_length=60),
        _t("website", _("Website"), "url", "网站|网址|官网|website|web|url"),
        _t("phone", _("Phone"), "phone", "电话|公司电话|联系电话|座机|phone|telephone|tel"),
        _t("source", _("Lead source"), "choice", "来源|客户来源|线索来源|source|lead source", choices=choices.Source),
        _t("stage", _("Funnel stage"), "choice", "阶段|客户阶段|销售阶段|状态|stage|status|funnel stage", choices=choices.Stage),
        _t("owner", _("Owner"), "user", "负责人|销售|销售代表|业务员|所属销售|归属人|owner|sales rep|rep|account owner"),
        _t("is_strategic", _("Strategic customer"), "bool", "战略客户|是否战略客户|strategic|is strategic"),
        _t("potential_class", _("Potential class"), "choice", "潜力等级|客户等级|等级|potential class|class", choices=choices.PotentialClass),
        _t("urgency", _("Urgency"), "choice", "紧急程度|urgency", choices=choices.Level),
        _t("focus", _("Focus"), "choice", "关注点|focus", choices=choices.Focus),
        _t("preferred_channel", _("Preferred channel"), "choice", "偏好渠道|沟通偏好|preferred channel", choices=choices.Channel),
        _t("contract_status", _("Contract status"), "choice", "合同状态|contract status|contract", choices=choices.ContractStatus),
        _t("satisfaction", _("Satisfaction (1–5)"), "int", "满意度|satisfaction"),
        _t("budget_min", _("Budget from"), "money", "预算下限|最低预算|budget from|budget min"),
        _t("budget_max", _("Budget to"), "money", "预算上限|最高预算|预算|budget to|budget max|budget"),
        _t("pain_points", _("Pain points"), "text", "痛点|pain points", max_length=5000),
        _t("purchase_needs", _("Purchase needs"), "text", "采购需求|需求|purchase needs|needs", max_length=5000),
        _t("notes", _("Notes"), "text", "备注|说明|notes|note|remarks|comments", max_length=20000),
    ),
    "contacts": (
        *CUSTOMER_REF,
        _t("name", _("Contact name"), "text", "联系人|联系人姓名|姓名|contact|contact name|name|full name", max_length=80, required=True),
        _t("title", _("Job title"), "text", "职位|职务|title|job title|position", max_length=80),
        _t("phone", _("Phone"), "phone", "手机|手机号|电话|联系电话|mobile|phone|telephone|tel"),
        _t("email", _("Email"), "email", "邮箱|电子邮件|电子邮箱|email|e-mail|mail"),
        _t("wechat", _("WeChat"), "text", "微信|微信号|wechat|weixin", max_length=64),
        _t("decision_role", _("Role in decision"), "choice", "决策角色|角色|decision role|role", choices=choices.DecisionRole),
        _t("is_key_person", _("Key person (KP)"), "bool", "关键人|是否关键人|kp|key person"),
        _t("notes", _("Notes"), "text", "备注|说明|notes|note|remarks", max_length=5000),
    ),
    "orders": (
        *CUSTOMER_REF,
        _t("number", _("Order number"), "text", "订单号|订单编号|单号|order no|order number|order id|number", max_length=40),
        _t("ordered_on", _("Order date"), "date", "下单日期|订单日期|日期|成交日期|order date|date|ordered on", required=True),
        _t("amount", _("Amount"), "money", "金额|订单金额|成交金额|销售额|amount|total|order amount|value", required=True),
        _t("gross_margin", _("Gross margin (%)"), "decimal", "毛利率|gross margin|margin"),
        _t("product_line", _("Product line"), "text", "产品线|产品|品类|product line|product|category", max_length=80),
        _t("quantity", _("Quantity"), "int", "数量|件数|quantity|qty"),
    ),
    "interactions": (
        *CUSTOMER_REF,
        _t("occurred_at", _("Time"), "datetime", "时间|日期|跟进时间|沟通时间|拜访时间|time|date|occurred at", required=True),
        _t("channel", _("Channel"), "choice", "方式|渠道|跟进方式|沟通方式|channel|type", choices=choices.Channel, required=True),
        _t("content_type", _("Content type"), "choice", "内容类型|content type", choices=choices.ContentType),
        _t("summary", _("Summary"), "text", "内容|摘要|跟进内容|沟通内容|记录|summary|content|notes", max_length=5000, required=True),
        _t("feedback", _("Customer feedback"), "text", "反馈|客户反馈|feedback", max_length=5000),
        _t("next_action", _("Next action"), "text", "下一步|下一步行动|next action|next step", max_length=300),
        _t("next_action_due", _("Next action due"), "date", "下一步日期|计划日期|next action due|due"),
        _t("owner", _("Logged by"), "user", "记录人|跟进人|销售|负责人|logged by|owner|rep"),
    ),
}  # fmt: skip

KEYS: dict[str, tuple[tuple[str, Promise], ...]] = {
    "customers": (
        ("number", _("Customer number")),
        ("external_id", _("External ID")),
        ("name", _("Company name (normalised)")),
    ),
    "contacts": (("name", _("Customer and contact name")),),
    "orders": (
        ("number", _("Order number")),
        ("natural", _("Customer, date, amount and product")),
    ),
    "interactions": (("natural", _("Customer, time, channel and summary")),),
}


def targets(kind: str) -> dict[str, Target]:
    return {t.name: t for t in TARGETS[kind]}


def fold(text: str) -> str:
    """Header/label comparison form: NFKC, case-folded, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def split_unit(header: str) -> tuple[str, Decimal | None]:
    """("年销售额", 10000) for "年销售额(万元)"; the unit only if it is a known one."""
    text = unicodedata.normalize("NFKC", header).strip()
    m = _UNIT_IN_HEADER.match(text)
    if m:
        unit = UNITS.get(fold(m.group(2)))
        if unit is not None:
            return m.group(1), unit
    for unit_text in ("万元", "亿元", "千元", "百万元"):  # 销售额万元 without brackets
        if text.endswith(unit_text) and len(text) > len(unit_text):
            return text[: -len(unit_text)], UNITS[unit_text]
    return text, None


@dataclass
class ColumnMap:
    """One column: its header, the target field (or IGNORE/NOTES) and a unit multiplier."""

    index: int
    header: str
    target: str = IGNORE
    unit: Decimal | None = None

    def to_json(self) -> dict:
        return {"header": self.header, "target": self.target, "unit": str(self.unit or "")}


def _synonym_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for t in TARGETS[kind]:
        for s in (t.name, *t.synonyms):
            index.setdefault(fold(s), t.name)
    return index


def auto_map(header: list[str], kind: str) -> list[ColumnMap]:
    """Best guess per column; each target is used once (the first column wins)."""
    index = _synonym_index(kind)
    used: set[str] = set()
    result = []
    for i, text in enumerate(header):
        base, unit = split_unit(text)
        target = index.get(fold(base)) or index.get(fold(text)) or IGNORE
        if target in used:
            target = IGNORE
        used.add(target)
        result.append(ColumnMap(i, text, target, unit))
    return result


def apply_saved(header: list[str], kind: str, saved: dict[str, dict]) -> list[ColumnMap]:
    """The auto map overridden by a saved profile's choices, matched by header text."""
    columns = auto_map(header, kind)
    valid = set(targets(kind)) | {IGNORE, NOTES}
    for col in columns:
        choice = saved.get(col.header)
        if choice and choice.get("target", IGNORE) in valid:
            col.target = choice.get("target", IGNORE)
            unit = choice.get("unit") or ""
            col.unit = Decimal(unit) if unit else col.unit
    return columns


def signature(header: list[str]) -> str:
    """Identifies a source by its set of headers (order does not matter)."""
    text = "\x1f".join(sorted(fold(h) for h in header if h))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def default_key(kind: str, columns: list[ColumnMap]) -> str:
    """The natural key for what is mapped: a number or external ID if present, else names."""
    mapped = {c.target for c in columns}
    for key, _label in KEYS[kind]:
        if key in ("name", "natural") or key in mapped:
            return key
    return KEYS[kind][-1][0]


def check_mapping(columns: list[ColumnMap], kind: str, key: str) -> list[str]:
    """Problems that make the mapping unusable (shown above the form), empty when fine."""
    from django.utils.translation import gettext as _g

    problems = []
    chosen = [c.target for c in columns if c.target not in (IGNORE, NOTES)]
    for name in {n for n in chosen if chosen.count(n) > 1}:
        problems.append(
            _g("Two columns are mapped to “%(field)s”.") % {"field": targets(kind)[name].label}
        )
    if kind == "customers" and key in ("number", "external_id") and key not in chosen:
        problems.append(_g("The key column is not mapped."))
    if kind == "orders" and key == "number" and "number" not in chosen:
        problems.append(_g("The key column is not mapped."))
    if kind != "customers" and not {t.name for t in CUSTOMER_REF} & set(chosen):
        problems.append(_g("Map a column that names the customer (number, external ID or name)."))
    return problems


def parse_owner_rules(
    text: str, header: list[str], users: dict[str, int]
) -> list[tuple[int, str, int]]:
    """Owner rules, one a line: `HEADER=VALUE: USER` (also `→` or `->` for the colon).

    A row whose owner cell is empty gets the user of the first rule whose column holds
    the value (compared folded: case, width, spaces). Returns (column, folded value,
    user id); raises ValueError with a message naming the bad line.
    """
    from django.utils.translation import gettext as _g

    columns = {fold(h): i for i, h in enumerate(header) if h}
    rules = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        for arrow in ("→", "->", "：", ":"):
            if arrow in line:
                condition, _sep, user = line.rpartition(arrow)
                break
        else:
            condition, user = line, ""
        column, eq, value = condition.partition("=")
        index = columns.get(fold(column))
        owner = users.get(fold(user))
        if not eq or index is None or owner is None or not value.strip():
            raise ValueError(
                _g("Owner rule %(n)d: write COLUMN=VALUE: USER with a column of the file "
                   "and an active user.") % {"n": number}
            )  # fmt: skip
        rules.append((index, fold(value), owner))
    return rules
