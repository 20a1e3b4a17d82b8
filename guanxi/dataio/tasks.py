"""Huey tasks of the data app; each feature keeps its tasks in its own module."""

from .tasks_data import *  # noqa: F403
from .tasks_import import *  # noqa: F403
