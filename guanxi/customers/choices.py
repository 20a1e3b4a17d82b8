"""Enumerations of the customer profile (SPEC §2–§4, §8)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    SOFTWARE = "software", _("Software and IT")
    RETAIL = "retail", _("Retail")
    WHOLESALE = "wholesale", _("Wholesale and distribution")
    CONSTRUCTION = "construction", _("Construction and real estate")
    HEALTHCARE = "healthcare", _("Healthcare")
    EDUCATION = "education", _("Education")
    FINANCE = "finance", _("Finance")
    LOGISTICS = "logistics", _("Logistics")
    ENERGY = "energy", _("Energy")
    FOOD = "food", _("Food and beverage")
    AUTOMOTIVE = "automotive", _("Automotive")
    CHEMICAL = "chemical", _("Chemicals")
    SERVICES = "services", _("Business services")
    OTHER = "other", _("Other")


class SizeBand(models.TextChoices):
    MICRO = "1-19", _("1–19 employees")
    SMALL = "20-99", _("20–99 employees")
    MEDIUM = "100-499", _("100–499 employees")
    LARGE = "500-1999", _("500–1,999 employees")
    ENTERPRISE = "2000+", _("2,000+ employees")


class Source(models.TextChoices):
    EXHIBITION = "exhibition", _("Exhibition")
    WEBSITE = "website", _("Website form")
    PARTNER = "partner", _("Partner referral")
    SOCIAL = "social", _("Social media")
    REFERRAL = "referral", _("Customer referral")
    WALK_IN = "walk_in", _("Walk-in")
    PHONE_IN = "phone_in", _("Phone-in")
    OTHER = "other", _("Other")


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead")
    POTENTIAL = "potential", _("Potential")
    INTENTION = "intention", _("Intention")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    REPURCHASE = "repurchase", _("Repurchase")
    LOST = "lost", _("Lost")


class Level(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class PotentialClass(models.TextChoices):
    A = "A", _("Class A")
    B = "B", _("Class B")
    C = "C", _("Class C")


class Focus(models.TextChoices):
    PRICE = "price", _("Price")
    QUALITY = "quality", _("Quality")
    DELIVERY = "delivery", _("Delivery")
    SERVICE = "service", _("Service")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    VIDEO = "video", _("Video call")
    EVENT = "event", _("Event")


class ContentType(models.TextChoices):
    VALUE = "value", _("Value")
    SERVICE = "service", _("Service")
    EMOTIONAL = "emotional", _("Emotional")


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class NeedStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class ContractStatus(models.TextChoices):
    NONE = "none", _("No contract")
    ACTIVE = "active", _("In contract")
    EXPIRED = "expired", _("Expired")
