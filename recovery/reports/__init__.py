"""The supervisor dashboard (issue 12, item 2): aggregates over indexed columns, drawn as SVG."""
