"""Escalation benchmark: many active chains in one hub process, step firing lateness."""
