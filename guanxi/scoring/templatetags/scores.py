"""Template filters for showing stored scores outside the scoring pages."""

from django import template

from guanxi.scoring import selectors
from guanxi.scoring.views import tone_of

register = template.Library()


@register.filter
def score_tone(code: str | None, dimension: str) -> str:
    """The colour (tone-… class) of one value of a dimension."""
    return tone_of(dimension, code)


@register.filter
def score_label(code: str | None, dimension: str) -> str:
    """The label of one value of a dimension, in the current language."""
    return selectors.value_label(dimension, code or "")
