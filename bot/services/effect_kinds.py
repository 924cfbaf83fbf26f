"""Names of the outbox effects services enqueue and the Slack worker delivers."""

from __future__ import annotations

__all__ = [
    "ALERTS_CHANGED",
    "ALL_CLEARED",
    "BELOW_THRESHOLD",
    "CHECKLIST_CHANGED",
    "CLIENT_POST",
    "CLIENT_PREVIEW",
    "COSMETIC",
    "DEAD_LETTER",
    "ESCALATION",
    "HITL_DECIDED",
    "HITL_REQUEST",
    "INCIDENT_CHANGED",
    "INCIDENT_OPENED",
    "NORMAL",
    "RCA_DOC",
    "REMINDER",
    "REOPENED",
    "SEVERITY_RAISED",
    "STATUS_POST",
    "STORM_DIGEST",
    "URGENT",
]

INCIDENT_OPENED = "slack.incident_opened"  # channel, topic, invitations, card, alerts, announcement
ALERTS_CHANGED = "slack.alerts_changed"  # edit the alerts message and the card in place
SEVERITY_RAISED = "slack.severity_raised"
REOPENED = "slack.reopened"
ALL_CLEARED = "slack.all_cleared"
BELOW_THRESHOLD = "slack.below_threshold"  # a notice in the alerts channel, no incident
STORM_DIGEST = "slack.storm_digest"  # one message for the groups the storm guard held back
INCIDENT_CHANGED = "slack.incident_changed"  # cosmetic: edit the card (coalesced, low priority)
STATUS_POST = "slack.status_post"  # a lifecycle event told in the incident channel
ESCALATION = "slack.escalation"  # urgent: missed ack deadline
REMINDER = "slack.reminder"  # urgent: update due, stale incident, RCA due
DEAD_LETTER = "slack.dead_letter"  # tell the incidents channel a sync effect gave up
CLIENT_PREVIEW = "slack.client_preview"  # show a redacted client update draft, with buttons
CLIENT_POST = "slack.client_post"  # post an approved update to the client's shared channel
CHECKLIST_CHANGED = "slack.checklist"  # edit the comms checklist or playbook message (coalesced)
HITL_REQUEST = "slack.hitl_request"  # post a run waiting for a human, with Approve/Reject
HITL_DECIDED = "slack.hitl_decided"  # edit it: who decided, when, the run's new state
RCA_DOC = "slack.rca_doc"  # post (or edit) the finished RCA document in the incident channel

URGENT, NORMAL, COSMETIC = 0, 1, 2
