"""Export and backup tasks."""
