"""Bulk intake of Section 111-style case files and claims files (issue 13, item 1).

layout.py  the documented, versioned CSV layout (docs/intake.md) and the row parsers (no ORM);
services.py validation against the database and the apply step (through recovery.cases.services);
models.py  IntakeBatch and its row errors (registered with the recovery app from recovery/models.py).
"""
