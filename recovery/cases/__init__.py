"""The case machine: the tracks and their steps (case_act), the guards, the reads, the case history and the case admin."""
