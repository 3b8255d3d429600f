"""Emergency escalation and SOS (应急升级、一键报警): see docs/escalation.md."""

from plugins.escalation.plugin import EscalationPlugin

__all__ = ["EscalationPlugin"]
