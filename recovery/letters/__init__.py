"""Letters: what a step writes (compose), the PDF, and the outbox that delivers it."""
