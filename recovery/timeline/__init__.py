"""The case's future, in advance (issue 12, item 4): every deadline still ahead, from the sweep's own rules."""
