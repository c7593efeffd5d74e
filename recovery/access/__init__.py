"""Access: who may see and do what on a case, the staff roles, the audit log, and uploaded documents."""
