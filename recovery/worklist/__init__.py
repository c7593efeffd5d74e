"""The caseworker's worklist (issue 12, item 1): everything that waits for a person, in one place."""
