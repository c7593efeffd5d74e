"""Server-rendered bar charts as SVG markup: no script, no inline style (the CSP), colours from classes in
static/css/caseday.css. Values are drawn to scale against the largest one; the numbers themselves are
in the table beside each chart."""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe

ROW, LABEL_W, BAR_W, PAD = 22, 260, 320, 6
LABEL_CHARS = 40  # what fits left of the bars at 11px (the whole label is in its <title> and the table)


def _num(v) -> float:
    return float(v) if isinstance(v, (int, float, Decimal)) else 0.0


def bars(rows, *, series: list[str], title: str) -> str:
    """Horizontal bars: one group per row (rows = [label, v1, v2, ...]), one bar per series."""
    n = len(series)
    top = max((_num(v) for r in rows for v in r[1:1 + n]), default=0) or 1
    group_h = ROW * n + PAD
    height = max(group_h * len(rows), ROW) + 2 * PAD + (ROW if n > 1 else 0)
    width = LABEL_W + BAR_W + 120
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    y = PAD
    if n > 1:
        x = LABEL_W
        for i, name in enumerate(series):
            out.append(f'<rect class="bar{i}" x="{x}" y="{y}" width="12" height="12"/>'
                       f'<text x="{x + 16}" y="{y + 11}">{escape(name)}</text>')
            x += 110
        y += ROW
    for r in rows:
        label = str(r[0])
        short = label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1].rstrip() + "…"
        out.append(f'<text x="{LABEL_W - 6}" y="{y + ROW - 8}" text-anchor="end"><title>{escape(label)}</title>'
                   f'{escape(short)}</text>')
        for i in range(n):
            v = _num(r[1 + i])
            w = round(BAR_W * v / top, 1)
            out.append(f'<rect class="bar{i}" x="{LABEL_W}" y="{y + i * ROW + 3}" width="{w}" height="{ROW - 6}" '
                       f'data-value="{escape(str(r[1 + i]))}"/>'
                       f'<text x="{LABEL_W + w + 4}" y="{y + i * ROW + ROW - 8}">{escape(_fmt(r[1 + i]))}</text>')
        y += group_h
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 — every text above is escaped


def _fmt(v) -> str:
    if isinstance(v, Decimal):
        return f"${v:,.2f}"
    return str(v)
