"""Readable names of what a person outside sent (the history's action codes)."""

from .. import tracks

SUBMISSION_LABELS = {
    "submit_settlement": "Settlement details",
    "open_dispute": "Dispute",
    "record_response": "Response to the notice",
    "file_appeal": "Appeal",
    "file_waiver": "Waiver request",
    "file_challenge": "Challenge",
    "elect_fixed_percentage": "Fixed-percentage election",
    "elect_self_calculated": "Self-calculated election",
    "final_amount_request": "Final conditional payment amount request",
    "final_amount_notice": "Notice of settlement (final amount process)",
}


def submission_label(action: str) -> str:
    return SUBMISSION_LABELS.get(action) or tracks.ACTION_LABELS.get(action) or action.replace("_", " ").capitalize()
