"""Small text helpers shared by the apps' presenters."""

from collections.abc import Iterable

from django.utils.translation import pgettext


def join_list(items: Iterable[str]) -> str:
    """Items joined the reader's way: "a, b" in English, "a、b" in Chinese."""
    return pgettext("list separator", ", ").join(items)
