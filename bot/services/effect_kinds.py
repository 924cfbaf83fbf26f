"""Names of the outbox effects services enqueue and the Slack worker delivers."""

from __future__ import annotations

__all__ = [
    "ALERTS_CHANGED",
    "ALL_CLEARED",
    "BELOW_THRESHOLD",
    "INCIDENT_OPENED",
    "REOPENED",
    "SEVERITY_RAISED",
    "STORM_DIGEST",
]

INCIDENT_OPENED = "slack.incident_opened"  # channel, topic, invitations, card, alerts, announcement
ALERTS_CHANGED = "slack.alerts_changed"  # edit the alerts message and the card in place
SEVERITY_RAISED = "slack.severity_raised"
REOPENED = "slack.reopened"
ALL_CLEARED = "slack.all_cleared"
BELOW_THRESHOLD = "slack.below_threshold"  # a notice in the alerts channel, no incident
STORM_DIGEST = "slack.storm_digest"  # one message for the groups the storm guard held back
