"""Letters laid out with ReportLab's platypus directly (SPEC §6; issue "Scale, part 2", letters).

The letter templates (`templates/letters/*.html`) stay the one place that says what a letter says:
the letter is rendered to HTML by Django's template engine exactly as before, and this module lays
out the small HTML subset those templates use — headings, paragraphs with bold and line breaks,
the letterhead / address / reference tables, the claims and figures tables, the key box, lists, the
signature, the reference note and the page footer ("Page n of m") — as platypus flowables, in the
same fonts (DejaVu Sans, embedded, so "Zoë" and "Łukasz" print as written) and the same page
geometry as the stylesheet in `letters/base.html`. `manage.py bench_letters` measures it against
xhtml2pdf's CSS engine (the earlier renderer) in one run.

Where the time goes, and what is done about it (profiled on the demo letters): text is broken into
lines here — `Line` for text in one font, `Rich` for the letters' inline markup — by the rule
platypus's Paragraph uses, without building Paragraphs (tests hold the breaks to Paragraph's);
every flowable breaks its lines once per width, however often platypus measures it; groups
(keepWithNext runs, KeepTogether, lists) are measured without platypus's deep copy of the frame;
the font's width function is looked up once; the PDF's streams are compressed at zlib level 1.
What is left is mostly ReportLab's own: tables, the PDF objects' serialisation, the per-document
font subsets (which depend on the letter's characters, so nothing of a document is cached).

Unknown tags are laid out by their text, never dropped: a template that grows a new element still
prints every word.
"""

from __future__ import annotations

import io
import re
import threading
import zlib
from html import escape, unescape
from html.parser import HTMLParser
from string import whitespace

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import letter as LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfmetrics import getAscent, getFont
from reportlab.platypus.paragraph import lstrip as rl_lstrip
from reportlab.platypus.paragraph import split as rl_split
from reportlab.rl_config import _FUZZ
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
INK = colors.HexColor("#111111")
GREY = colors.HexColor("#333333")
FOOTER_GREY = colors.HexColor("#555555")
HEADER_BG = colors.HexColor("#e6e6e6")
RULE_AA = colors.HexColor("#aaaaaa")
RULE_BB = colors.HexColor("#bbbbbb")
KEYBOX_BG = colors.HexColor("#f2f2f2")
RULE_77 = colors.HexColor("#777777")
RULE_99 = colors.HexColor("#999999")

# Page geometry from letters/base.html's @page rule.
MARGIN_TOP, MARGIN_SIDE, MARGIN_BOTTOM = 0.75 * inch, 0.85 * inch, 0.85 * inch
FRAME_WIDTH = LETTER[0] - 2 * MARGIN_SIDE


def _style(name, size=9.0, leading=None, bold=False, color=INK, before=0.0, after=5.0, align=TA_LEFT,
           **kw) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=BOLD if bold else FONT, fontSize=size,
                          leading=leading or round(size * 1.35, 2), textColor=color, spaceBefore=before,
                          spaceAfter=after, alignment=align, **kw)


STYLES = {
    "p": _style("p"),
    "h1": _style("h1", 13, bold=True, before=12, after=8),
    "h2": _style("h2", 10, bold=True, before=10, after=2),
    "li": _style("li", after=2),
    "program": _style("program", 14, bold=True, after=0),
    "contractor": _style("contractor", 10, bold=True, after=0),
    "agency": _style("agency", 7.5, color=GREY, after=0),
    "contact": _style("contact", 7.5, color=GREY, after=0),
    "lettertype": _style("lettertype", 8, color=GREY, after=0, align=TA_RIGHT),
    "address": _style("address", 9.5, leading=13.3, after=0),
    "refs_th": _style("refs_th", 7.5, color=GREY, after=0),
    "refs_td": _style("refs_td", 8.5, bold=True, after=0),
    "claims_th": _style("claims_th", 7.5, bold=True, after=0),
    "claims_td": _style("claims_td", 8, after=0),
    "figures_td": _style("figures_td", 9, after=0),
    "keybox_p": _style("keybox_p", after=2),
    "note": _style("note", 8, color=GREY),
    "cc": _style("cc", 8, before=10),
    "reference": _style("reference", 7.5, color=GREY, after=0),
    "footer": _style("footer", 7, color=FOOTER_GREY, after=0),
}
# Inline classes (a <span class=...> inside a paragraph).
SPAN_MARKUP = {"big": ('<font size="11"><b>', "</b></font>"), "dated": ('<font size="7.5">', "</font>")}
BLOCK = {"p", "div", "h1", "h2", "h3", "table", "ul", "ol", "li", "tr", "td", "th"}
VOID = {"br", "meta", "img", "hr"}


# --- text widths ---------------------------------------------------------------------------------------

_WIDTH_OF: dict = {}  # font name -> the registered font's own width function (font metrics only)
_SPACE_OF: dict = {}  # (font name, size) -> the width of a space


def stringWidth(text: str, font: str, size: float) -> float:
    """pdfmetrics.stringWidth, without looking the font up again for every word."""
    width_of = _WIDTH_OF.get(font)
    if width_of is None:
        width_of = _WIDTH_OF[font] = getFont(font).stringWidth
    return width_of(text, size)


def space_width(font: str, size: float) -> float:
    key = (font, size)
    width = _SPACE_OF.get(key)
    if width is None:
        width = _SPACE_OF[key] = stringWidth(" ", font, size)
    return width


# --- a tiny DOM --------------------------------------------------------------------------------------


class Node:
    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag: str, attrs: dict):
        self.tag, self.attrs, self.children = tag, attrs, []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def elements(self, *tags) -> list["Node"]:
        return [c for c in self.children if isinstance(c, Node) and (not tags or c.tag in tags)]

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self.stack[-1].tag not in ("style", "title", "script"):
            self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _find(node: Node, tag: str) -> Node | None:
    for child in node.elements():
        if child.tag == tag:
            return child
        found = _find(child, tag)
        if found is not None:
            return found
    return None


# --- inline markup -------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_NOT_SINGLE_SPACE = re.compile(r"[^\S ]|  ")  # whitespace other than lone spaces
_TO_ESCAPE = re.compile(r"[&<>]")
_AROUND_BREAK = re.compile(r" *<br/> *")


def inline(node: Node) -> str:
    """The node's content as platypus paragraph markup: text escaped, whitespace collapsed as HTML
    does, <b>/<strong>, <br>, and the span classes of the stylesheet."""
    parts = []
    for child in node.children:
        if isinstance(child, str):
            if _NOT_SINGLE_SPACE.search(child):
                child = _SPACE.sub(" ", child)
            parts.append(escape(child, quote=False) if _TO_ESCAPE.search(child) else child)
        elif child.tag in ("b", "strong"):
            parts.append(f"<b>{inline(child)}</b>")
        elif child.tag in ("i", "em"):
            parts.append(inline(child))  # no italic face is shipped (see letters/pdf.py): upright
        elif child.tag == "br":
            parts.append("<br/>")
        elif child.tag == "span":
            start, end = next((SPAN_MARKUP[c] for c in child.classes if c in SPAN_MARKUP), ("", ""))
            parts.append(f"{start}{inline(child)}{end}")
        else:
            parts.append(inline(child))
    text = "".join(parts)
    # Collapse the spaces around line breaks and at the ends, as a browser would.
    if "<br/>" in text:
        text = _AROUND_BREAK.sub("<br/>", text)
    return text.strip()


class CachedParagraph(Paragraph):
    """A Paragraph that breaks its lines once per width: platypus wraps a flowable several times at
    the same width (a table measuring its cells, keepWithNext / KeepTogether groups measuring their
    parts, the frame placing it) and a paragraph's lines depend on the width alone."""

    _wrapped_for = None

    def wrap(self, available_width, available_height):
        if self._wrapped_for == available_width and getattr(self, "blPara", None) is not None:
            return self.width, self.height
        size = super().wrap(available_width, available_height)
        self._wrapped_for = available_width
        return size

    def split(self, available_width, available_height):
        self._wrapped_for = None  # split may drop blPara; the parts are new paragraphs
        return super().split(available_width, available_height)


class Line(Flowable):
    """Text in one font (no inline markup, or bold throughout) — most table cells and many paragraphs
    of a letter — laid out here rather than by a Paragraph: the words are broken into lines greedily
    with the font's own widths, by exactly the rule platypus's Paragraph uses for such text (its
    `breakLines` for one fragment: a word goes on the line while the line, spaces allowed to shrink
    by `spaceShrinkage`, fits the width), drawn at the same baselines, and split across pages at a
    line boundary as a Paragraph splits. Text platypus would treat specially — a word wider than the
    column (split inside the word), a soft hyphen, an indented style — becomes the Paragraph it stands
    for, so nothing is ever cut (tests/recovery/test_letter_pdf.py compares the line breaks with
    Paragraph's)."""

    paragraph_baseline = False

    def __init__(self, markup: str, text: str, style: ParagraphStyle, lines=None):
        super().__init__()
        self.markup, self.text, self.style = markup, text, style
        self.spaceBefore, self.spaceAfter = style.spaceBefore, style.spaceAfter
        self.paragraph = None
        self.words = rl_split(text)
        self._simple = ("\xad" not in text and not (style.leftIndent or style.rightIndent or style.firstLineIndent)
                        and not style.wordWrap and not style.endDots)
        self._fixed = lines  # the first part of a split: its lines as they were broken
        self._wrapped_for = None
        self.lines = lines

    def _as_paragraph(self):
        if self.paragraph is None:
            self.paragraph = CachedParagraph(self.markup, self.style)
            if hasattr(self, "keepWithNext"):
                self.paragraph.keepWithNext = self.keepWithNext
        return self.paragraph

    def break_lines(self, width: float):
        """[(unused width, [words])] for the lines of this text at `width`, as Paragraph breaks them;
        None where Paragraph would split a word (a word wider than the line)."""
        s = self.style
        font, size = s.fontName, s.fontSize
        space = space_width(font, size)
        shrink = s.spaceShrinkage * space
        lines, line, current = [], [], -space
        for word in self.words:
            word_width = stringWidth(word, font, size)
            if word_width > width:
                return None
            new = current + space + word_width
            if new <= width + shrink * len(line) or not line:
                line.append(word)
                current = new
            else:
                lines.append((width - current, line))
                line, current = [word], word_width
        if line:
            lines.append((width - current, line))
        return lines

    def wrap(self, available_width, available_height):
        if self.paragraph is not None:
            return self.paragraph.wrap(available_width, available_height)
        if self._fixed is None and self._wrapped_for != available_width:
            if not self.words:
                self.lines = [(available_width, [])]
            elif self._simple and available_width >= _FUZZ:
                self.lines = self.break_lines(available_width)
            else:
                self.lines = None
            if self.lines is None:
                return self._as_paragraph().wrap(available_width, available_height)
            self._wrapped_for = available_width
        self.width, self.height = available_width, len(self.lines) * self.style.leading
        return self.width, self.height

    def split(self, available_width, available_height):
        if self.paragraph is None:
            self.wrap(available_width, available_height)  # may hand the text to a Paragraph
        if self.paragraph is not None:
            return self.paragraph.split(available_width, available_height)
        if len(self.lines) == 1 and self.height > available_height:
            # A one-line Line that did not fit at the foot of a page has always been handed to the
            # Paragraph it stands for, drawn at the next page's top at a Paragraph's baseline: kept so.
            self.paragraph_baseline = True
        if available_height < _FUZZ:
            return []
        fits = int(available_height / float(self.style.leading))
        if fits <= 1:  # an orphan (Paragraph's allowOrphans=0) or no room
            return []
        if len(self.lines) <= fits:
            return [self]
        head, rest = self.lines[:fits], self.lines[fits:]
        first = Line(self.markup, self.text, self.style, lines=head)
        tail = " ".join(" ".join(words) for _, words in rest)
        return [first, Line(escape(tail, quote=False), tail, self.style)]

    def _one_line(self) -> bool:
        return self.paragraph is None and len(self.lines) == 1 and self.lines[0][0] >= -1e-8

    def drawOn(self, canvas, x, y, _sW=0):
        """One line at its natural spacing is drawn where it goes, without the PDF state save,
        translation and restore platypus wraps around every flowable (the line sets the font and
        colour it needs, and only those; nothing a letter draws relies on them being restored)."""
        if self._one_line():
            self._draw_line(canvas, self._hAlignAdjust(x, _sW), y)
        else:
            super().drawOn(canvas, x, y, _sW)

    def _draw_line(self, canvas, x, y):
        s = self.style
        # A one-line Line has always sat at the font's ascent below its top (a Paragraph, and so
        # text over several lines, at its font size: ~2 pt lower at 9 pt); the footer was a Paragraph.
        baseline = y + self.height - (s.fontSize if self.paragraph_baseline else getAscent(s.fontName, s.fontSize))
        # the canvas tracks its font and colour: set only what differs
        if canvas._fontname != s.fontName or canvas._fontsize != s.fontSize:
            canvas.setFont(s.fontName, s.fontSize)
        if canvas._fillColorObj is not s.textColor:
            canvas.setFillColor(s.textColor)
        text = " ".join(self.lines[0][1])
        if s.alignment == TA_RIGHT:
            canvas.drawRightString(x + self.width, baseline, text)
        else:
            canvas.drawString(x, baseline, text)

    def draw(self):
        if self.paragraph is not None:
            self.paragraph.drawOn(self.canv, 0, 0)
            return
        s, canvas = self.style, self.canv
        if self._one_line():
            self._draw_line(canvas, 0, 0)
            return
        canvas.saveState()
        canvas.setFillColor(s.textColor)
        tx = canvas.beginText(0, self.height - s.fontSize)  # Paragraph's first baseline
        tx.setFont(s.fontName, s.fontSize, s.leading)
        right = s.alignment == TA_RIGHT
        for extra, words in self.lines:
            text = " ".join(words)
            _line_out(tx, extra, len(words) - 1 + text.count("\xa0"), right, lambda: tx._textOut(text, 1))
        canvas.drawText(tx)
        canvas.restoreState()


def _line_out(tx, extra, spaces, right, write):
    """One line of a text object as Paragraph draws it: `write()` puts out its text, with the line's
    `extra` width (points; negative: too long) taken up by shrinking its `spaces` to fit, or — right
    aligned — by shifting the line right; both undone after it."""
    squeezed = extra < -1e-8 and spaces > 0  # spaces shrunk to fit, as Paragraph draws it
    shift = extra if right and not squeezed and abs(extra) > 1e-6 else 0
    if shift:
        tx.setXPos(shift)  # relative to the start of the line: undone below
    if squeezed:
        tx.setWordSpace(extra / spaces)
    write()
    if squeezed:
        tx.setWordSpace(0)
    if shift:
        tx.setXPos(-shift)


# --- paragraphs with inline markup -------------------------------------------------------------------

_INLINE_TAG = re.compile(r"<(/?)(b|font|br)(\s[^>]*)?/?>")
_FONT_SIZE = re.compile(r'\s*size="([0-9.]+)"\s*')
_BREAK = None  # a run's text for <br/>


def _runs(markup: str, style: ParagraphStyle):
    """The markup `inline()` makes (<b>, <br/>, <font size="…">) as [(font, size, text)] — text None
    for a line break — in the fonts platypus would choose; None for anything else (a Paragraph)."""
    if style.fontName not in (FONT, BOLD):
        return None
    runs, opened, sizes, pos = [], 0, [style.fontSize], 0
    base_bold = style.fontName == BOLD
    for match in _INLINE_TAG.finditer(markup):
        font = BOLD if base_bold or opened else FONT
        if not _text_runs(runs, markup[pos:match.start()], font, sizes[-1]):
            return None
        close, tag, attrs = match.groups()
        if tag != "br" and match.group(0).endswith("/>"):
            return None  # an empty <b/> or <font/>: Paragraph's business
        if tag == "br":
            if close or (attrs or "").strip():
                return None
            runs.append((font, sizes[-1], _BREAK))
        elif tag == "b":
            opened += -1 if close else 1
            if opened < 0 or (attrs or "").strip():
                return None
        elif close:
            if len(sizes) == 1:
                return None
            sizes.pop()
        else:
            size = _FONT_SIZE.fullmatch(attrs or "")
            if size is None:
                return None
            sizes.append(float(size.group(1)))
        pos = match.end()
    if opened or len(sizes) > 1:
        return None  # unclosed tags
    if not _text_runs(runs, markup[pos:], BOLD if base_bold else FONT, sizes[-1]):
        return None
    if not any(text and text.strip() for _, _, text in runs):
        return None  # nothing but line breaks: Paragraph gives no lines at all
    return runs


_ENTITY = re.compile(r"(&#?\w+;)")


def _text_runs(runs: list, text: str, font: str, size: float) -> bool:
    """Text between tags as runs, an entity being a run of its own as in platypus's parser (which
    matters: a word may end at a run's edge). False for anything that is not plain text."""
    if "<" in text or ">" in text:
        return False
    for piece in _ENTITY.split(text) if "&" in text else (text,):
        if piece:
            runs.append((font, size, unescape(piece) if piece[0] == "&" else piece))
    return True


def _frag_words(runs):
    """Words as platypus's `_getFragWords` makes them from such runs: [width, [(run, text)...],
    followed by a space, is a line break] (a word may span runs: "<b>2026</b>." is one word)."""
    out, pieces, width, strip_next = [], [], 0.0, True
    for run in runs:
        font, size, text = run
        if text is _BREAK:
            if pieces:
                out.append([width, pieces, False, False])
                pieces, width = [], 0.0
            out.append([0, [(run, "")], False, True])
            strip_next = True
            continue
        if text == "":
            continue
        if strip_next:
            text = rl_lstrip(text)
            if not text:
                continue
            strip_next = False
        words = rl_split(text)
        if text[0] in whitespace or not words:
            if pieces:
                out.append([width, pieces, False, False])
                pieces, width = [], 0.0
                spaced = False
            else:
                spaced = bool(out) and out[-1][2]
            if not spaced:
                words.insert(0, "")
            elif not words:
                continue
        for word in words[:-1]:
            pieces.append((run, word))
            out.append([width + stringWidth(word, font, size), pieces, True, False])
            pieces, width = [], 0.0
        word = words[-1]
        pieces.append((run, word))
        width += stringWidth(word, font, size)
        if text[-1] in whitespace:
            out.append([width, pieces, True, False])
            pieces, width = [], 0.0
    if pieces:
        out.append([width, pieces, False, False])
    if not out and runs:
        out = [[0, [(runs[0], "")], False, False]]
    return out


def _break_rich(words, width: float, shrinkage: float):
    """Lines [(unused width, [[font, size, text]...], largest size, index of the first word, words
    on the line)] exactly as platypus's `Paragraph.breakLines` breaks fragment words (its case B,
    with no hyphenation); None where it would split a word wider than the line."""
    lines, runs, n, space, current, biggest, start = [], [], 0, 0.0, 0.0, 0.0, 0
    for index, (word_width, pieces, spaced, is_break) in enumerate(words):
        last = pieces[-1][0]
        font_name, font_size = last[0], last[1]
        if not runs:
            n, space, current, biggest, start = 0, 0.0, 0.0, font_size, index
        first_run, first_text = pieces[0]
        new = current + space + word_width if word_width > 0 else current
        limit = width
        if shrinkage:
            shrink = space
            for run in runs:
                count = run[2].count(" ")
                if count:
                    shrink += count * space_width(run[0], run[1])
            limit += shrink * shrinkage
        if not is_break and new > limit and word_width > width:
            return None  # Paragraph would split this word inside it
        if not ((new > limit and n > 0) or is_break):
            if first_text:
                n += 1
            font_size = first_run[1]
            biggest = max(biggest, font_size)
            if not runs:
                runs = [[first_run[0], first_run[1], first_text]]
            elif (runs[-1][0], runs[-1][1]) != (first_run[0], first_run[1]):
                if space and not runs[-1][2].endswith(" "):
                    runs[-1][2] += " "
                runs.append([first_run[0], first_run[1], first_text])
            elif space:
                runs[-1][2] += first_text if runs[-1][2].endswith(" ") else " " + first_text
            else:
                runs[-1][2] += first_text
            space = space_width(font_name, font_size) if spaced else 0.0
            more = False
            for run, text in pieces[1:]:
                more = more or bool(text)
                runs.append([run[0], run[1], text])
                font_size = run[1]
                biggest = max(biggest, font_size)
            if not first_text and more:
                n += 1
            current = new
        else:
            if is_break:
                runs.append([first_run[0], first_run[1], ""])
            lines.append((width - current, runs, biggest, start, n))
            if is_break:
                runs = []
                continue
            space = space_width(font_name, font_size) if spaced else 0.0
            current, n, start = word_width, 1, index
            runs = [[first_run[0], first_run[1], first_text]]
            biggest = first_run[1]
            for run, text in pieces[1:]:
                runs.append([run[0], run[1], text])
                biggest = max(biggest, run[1])
    if runs:
        lines.append((width - current, runs, biggest, start, n))
    return lines


def _words_markup(words, style: ParagraphStyle) -> str:
    """Markup for fragment words (the rest of a split paragraph), should it have to become a
    Paragraph after all (a narrower frame): the same text, fonts and breaks."""
    runs: list[list] = []  # [font, size, text, is a break]; a word's space stays in its last run
    for _, pieces, spaced, is_break in words:
        if is_break:
            runs.append([None, None, "<br/>", True])
            continue
        for (font, size, _), text in pieces:
            if runs and not runs[-1][3] and runs[-1][:2] == [font, size]:
                runs[-1][2] += escape(text, quote=False)
            else:
                runs.append([font, size, escape(text, quote=False), False])
        if spaced:
            runs[-1][2] += " "
    out = []
    for font, size, text, is_break in runs:
        if not is_break:
            if font == BOLD and style.fontName != BOLD:
                text = f"<b>{text}</b>"
            if size != style.fontSize:
                text = f'<font size="{size:g}">{text}</font>'
        out.append(text)
    return "".join(out).strip()


class Rich(Flowable):
    """A paragraph with the inline markup of the letters (bold, line breaks, the big/dated spans),
    laid out here as platypus's Paragraph lays it out — the same words, the same line breaks
    (`_break_rich` follows Paragraph.breakLines step by step; tests compare the two), the same
    baselines and page splits — without Paragraph's general machinery. Anything else (other
    markup, a word wider than the line, an indented style) is the Paragraph itself."""

    def __init__(self, markup: str, style: ParagraphStyle, words=None, lines=None):
        super().__init__()
        self.markup, self.style = markup, style
        self.spaceBefore, self.spaceAfter = style.spaceBefore, style.spaceAfter
        self.paragraph = None
        self.words = words
        if words is None:
            runs = _runs(markup, style)
            simple = not (style.leftIndent or style.rightIndent or style.firstLineIndent or style.wordWrap
                          or style.endDots) and runs is not None and not any(
                              r[2] and "\xad" in r[2] for r in runs)
            self.words = _frag_words(runs) if simple and runs else None
        self._fixed = lines
        self.lines = lines
        self._wrapped_for = None

    def _as_paragraph(self):
        if self.paragraph is None:
            self.paragraph = CachedParagraph(self.markup, self.style)
            if hasattr(self, "keepWithNext"):
                self.paragraph.keepWithNext = self.keepWithNext
        return self.paragraph

    def wrap(self, available_width, available_height):
        if self.paragraph is not None:
            return self.paragraph.wrap(available_width, available_height)
        if self._fixed is None and self._wrapped_for != available_width:
            self.lines = None
            if self.words is not None and available_width >= _FUZZ:
                self.lines = _break_rich(self.words, available_width, self.style.spaceShrinkage)
            if self.lines is None:
                return self._as_paragraph().wrap(available_width, available_height)
            self._wrapped_for = available_width
        self.width, self.height = available_width, len(self.lines) * self.style.leading
        return self.width, self.height

    def split(self, available_width, available_height):
        if self.paragraph is None:
            self.wrap(available_width, available_height)
        if self.paragraph is not None:
            return self.paragraph.split(available_width, available_height)
        if available_height < _FUZZ:
            return []
        fits = int(available_height / float(self.style.leading))
        if fits <= 1:
            return []
        if len(self.lines) <= fits:
            return [self]
        first = Rich(self.markup, self.style, words=self.words, lines=self.lines[:fits])
        words = self.words[self.lines[fits][3]:]
        return [first, Rich(_words_markup(words, self.style), self.style, words=words)]

    def draw(self):
        if self.paragraph is not None:
            self.paragraph.drawOn(self.canv, 0, 0)
            return
        s, canvas = self.style, self.canv
        if not self.lines:
            return
        canvas.saveState()
        canvas.setFillColor(s.textColor)
        tx = canvas.beginText(0, self.height - self.lines[0][2])  # Paragraph's first baseline
        tx.setLeading(s.leading)
        right = s.alignment == TA_RIGHT
        current = None
        for extra, runs, _, _, count in self.lines:
            def runs_out(runs=runs):
                nonlocal current
                for i, (font, size, text) in enumerate(runs):
                    if current != (font, size):
                        tx._setFont(font, size)
                        current = (font, size)
                    tx._textOut(text, i == len(runs) - 1)

            nbsp = sum(run[2].count("\xa0") for run in runs)
            _line_out(tx, extra, count + nbsp - 1, right, runs_out)
        canvas.drawText(tx)
        canvas.restoreState()


_BOLD_ONLY = re.compile(r"<b>([^<]*)</b>")


def _para(node_or_markup, style: ParagraphStyle):
    """A paragraph of the letter: a `Line` where there is no inline markup, else a Paragraph."""
    markup = node_or_markup if isinstance(node_or_markup, str) else inline(node_or_markup)
    if "<" not in markup:
        return Line(markup, unescape(markup), style)
    bold = _BOLD_ONLY.fullmatch(markup)
    if bold:
        return Line(markup, unescape(bold.group(1)), _variant(style, fontName=BOLD))
    return Rich(markup, style)


_variants: dict[tuple, ParagraphStyle] = {}


def _variant(style: ParagraphStyle, **changes) -> ParagraphStyle:
    """A style like `style` with some attributes changed, made once (styles are copied on creation)."""
    key = (style.name, *sorted(changes.items()))
    if key not in _variants:
        _variants[key] = ParagraphStyle(f"{style.name}_{'_'.join(map(str, changes.values()))}", parent=style, **changes)
    return _variants[key]


# --- blocks -------------------------------------------------------------------------------------------


def _widths(row: Node, total: float) -> list[float | None]:
    out = []
    for cell in row.elements("td", "th"):
        width = cell.attrs.get("width", "")
        out.append(total * float(width[:-1]) / 100 if width.endswith("%") else None)
    return out


def _rows(table: Node) -> list[Node]:
    rows = []
    for child in table.elements():
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("tbody", "thead", "tfoot"):
            rows.extend(child.elements("tr"))
    return rows


def _grid(table: Node, total: float, cell_style) -> tuple[list[list], list, list[float | None]]:
    """Cells as paragraphs (colspan honoured) and the SPAN commands; column widths from the first
    row that has one cell per column."""
    rows = _rows(table)
    ncols = max((sum(int(c.attrs.get("colspan") or 1) for c in r.elements("td", "th")) for r in rows), default=1)
    data, spans = [], []
    widths: list[float | None] = [None] * ncols
    for r, row in enumerate(rows):
        line, col = [], 0
        cells = row.elements("td", "th")
        if len(cells) == ncols and all(w is None for w in widths):
            widths = _widths(row, total)
        for cell in cells:
            span = int(cell.attrs.get("colspan") or 1)
            line.append(cell_style(row, cell))
            line.extend([""] * (span - 1))
            if span > 1:
                spans.append(("SPAN", (col, r), (col + span - 1, r)))
            col += span
        line.extend([""] * (ncols - len(line)))
        data.append(line)
    known = sum(w for w in widths if w)
    free = [i for i, w in enumerate(widths) if not w]
    for i in free:
        widths[i] = (total - known) / len(free)
    return data, spans, widths


def _claims_or_figures(table: Node, total: float) -> Table:
    kind = "claims" if "claims" in table.classes else "figures"

    def cell(row, c):
        if kind == "claims":
            style = STYLES["claims_th"] if c.tag == "th" or "total" in c.classes else STYLES["claims_td"]
        else:
            style = STYLES["figures_td"]
            if "result" in row.classes:
                style = _variant(style, fontName=BOLD)
        if "num" in c.classes:
            style = _variant(style, alignment=TA_RIGHT)
        return _para(c, style)

    data, spans, widths = _grid(table, total, cell)
    commands = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3), ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2), *spans]
    rows = _rows(table)
    header = 0
    for r, row in enumerate(rows):
        cells = row.elements("td", "th")
        if kind == "claims" and cells and all(c.tag == "th" for c in cells):
            header = r + 1
            commands += [("BACKGROUND", (0, r), (-1, r), HEADER_BG),
                         ("LINEABOVE", (0, r), (-1, r), 0.75, FOOTER_GREY),
                         ("LINEBELOW", (0, r), (-1, r), 0.75, FOOTER_GREY)]
        elif kind == "claims" and any("total" in c.classes for c in cells):
            commands += [("LINEABOVE", (0, r), (-1, r), 0.75, FOOTER_GREY),
                         ("LINEBELOW", (0, r), (-1, r), 0.75, FOOTER_GREY)]
        elif kind == "claims":
            commands.append(("LINEBELOW", (0, r), (-1, r), 0.25, RULE_AA))
        elif "result" in row.classes:
            commands += [("LINEABOVE", (0, r), (-1, r), 0.75, FOOTER_GREY),
                         ("LINEBELOW", (0, r), (-1, r), 0.75, FOOTER_GREY)]
        else:
            commands.append(("LINEBELOW", (0, r), (-1, r), 0.25, RULE_BB))
    if kind == "figures":
        commands += [("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                     ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]
    t = Table(data, colWidths=widths, repeatRows=header if table.attrs.get("repeat") else 0,
              hAlign="LEFT", spaceBefore=4, spaceAfter=6)
    t.setStyle(TableStyle(commands))
    return t


def _refs(table: Node, total: float) -> Table:
    def cell(row, c):
        return _para(c, STYLES["refs_th"] if c.tag == "th" else STYLES["refs_td"])

    data, spans, _ = _grid(table, total, cell)
    t = Table(data, colWidths=[total * 0.42, total * 0.58], hAlign="LEFT")
    t.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.75, FOOTER_GREY), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("LEFTPADDING", (0, 0), (0, -1), 5), ("LEFTPADDING", (1, 0), (1, -1), 2),
                           ("RIGHTPADDING", (0, 0), (-1, -1), 4), ("TOPPADDING", (0, 0), (-1, -1), 2),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 1), *spans]))
    return t


def _letterhead(table: Node, total: float) -> Table:
    row = _rows(table)[0]
    left, right = row.elements("td")[:2]
    left_cell = [_para(div, STYLES.get(next(iter(div.classes), ""), STYLES["p"])) for div in left.elements("div")]
    widths = _widths(row, total)
    t = Table([[left_cell, _para(right, STYLES["lettertype"])]], colWidths=widths, hAlign="LEFT")
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                           ("LINEBELOW", (0, 0), (-1, 0), 1.5, INK)]))
    return t


def _meta(table: Node, total: float) -> Table:
    row = _rows(table)[0]
    widths = _widths(row, total)
    cells = []
    for cell, width in zip(row.elements("td"), widths):
        nested = cell.elements("table")
        if nested:
            cells.append(_refs(nested[0], width))
        elif "address" in cell.classes:
            cells.append(_para(cell, STYLES["address"]))
        else:
            cells.append("")
    t = Table([cells], colWidths=widths, hAlign="LEFT", spaceBefore=14)
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return t


class _WrapWithoutFrameCopy:
    """platypus measures a group (KeepTogether, a list) with `_listWrapOn`, which deep-copies the
    document's current frame for every measurement so that content a flowable generates while
    being wrapped (an index, a table of contents) can be collected. No flowable of a letter
    generates content, so the groups here measure without that copy (the frame is restored)."""

    def wrap(self, available_width, available_height):
        doc = getattr(getattr(self, "canv", None), "_doctemplate", None)
        frame = getattr(doc, "frame", None)
        if frame is None:
            return super().wrap(available_width, available_height)
        doc.frame = None
        try:
            return super().wrap(available_width, available_height)
        finally:
            doc.frame = frame


class Group(_WrapWithoutFrameCopy, KeepTogether):
    """KeepTogether (also what the document makes of a keepWithNext run)."""


class List(_WrapWithoutFrameCopy, ListFlowable):
    pass


def _list(node: Node, style: ParagraphStyle) -> ListFlowable:
    items = [ListItem(_para(li, STYLES["li"])) for li in node.elements("li")]
    ordered = node.tag == "ol"
    if ordered:
        return List(items, bulletType="1", bulletFormat="%s.", bulletFontName=FONT, bulletFontSize=9,
                            leftIndent=16, spaceAfter=5)
    return List(items, bulletType="bullet", start="•", bulletFontName=FONT, bulletFontSize=8,
                        leftIndent=16, spaceAfter=5)


def _keybox(node: Node, total: float) -> Table:
    inner = [_para(p, STYLES["keybox_p"]) for p in node.elements("p")]
    t = Table([[inner]], colWidths=[total], hAlign="LEFT", spaceBefore=6, spaceAfter=8)
    t.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, INK),
                           ("BACKGROUND", (0, 0), (-1, -1), KEYBOX_BG),
                           ("LEFTPADDING", (0, 0), (-1, -1), 7), ("RIGHTPADDING", (0, 0), (-1, -1), 7),
                           ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    return t


def blocks(node: Node, total: float = FRAME_WIDTH) -> list:
    """The flowables for a container's children, in order."""
    out: list = []
    loose: list = []  # inline content directly in a container (text, <b>) becomes one paragraph

    def flush(style=STYLES["p"]):
        if loose:
            holder = Node("p", {})
            holder.children = list(loose)
            markup = inline(holder)
            if markup:
                out.append(_para(markup, style))
            loose.clear()

    for child in node.children:
        if isinstance(child, str) or child.tag not in BLOCK:
            loose.append(child)
            continue
        flush()
        tag, classes = child.tag, child.classes
        if child.attrs.get("id") == "page-footer":
            continue  # drawn on every page by the canvas
        if tag == "h1":
            out.append(_para(child, STYLES["h1"]))
        elif tag in ("h2", "h3"):
            heading = _para(child, STYLES["h2"])
            rule = HRFlowable(width="100%", thickness=0.5, color=RULE_77, spaceBefore=0,
                              spaceAfter=4)
            heading.keepWithNext = rule.keepWithNext = 1
            out += [heading, rule]
        elif tag == "p":
            style = STYLES["p"]
            for name in ("cc", "note"):
                if name in classes:
                    style = STYLES[name]
            para = _para(child, style)
            if "keep" in classes:
                para.keepWithNext = 1
            out.append(para)
        elif tag == "table":
            if "letterhead" in classes:
                out.append(_letterhead(child, total))
            elif "meta" in classes:
                out.append(_meta(child, total))
            elif "refs" in classes:
                out.append(_refs(child, total))
            else:
                out.append(_claims_or_figures(child, total))
        elif tag in ("ul", "ol"):
            out.append(_list(child, STYLES["li"]))
        elif tag == "div" and "keybox" in classes:
            out.append(_keybox(child, total))
        elif tag == "div" and "signature" in classes:
            out.append(Spacer(1, 14))
            out.append(Group(blocks(child, total)))
        elif tag == "div" and "reference" in classes:
            out.append(Spacer(1, 10))
            out.append(HRFlowable(width="100%", thickness=0.5, color=RULE_99, spaceBefore=0,
                                  spaceAfter=3))
            out += blocks(child, total) if child.elements("p") else [_para(child, STYLES["reference"])]
        else:
            out += blocks(child, total)
    flush()
    return out


# --- pages --------------------------------------------------------------------------------------------


# zlib level for the letters' streams (page contents, embedded font subsets). ReportLab compresses at
# zlib's default (6); level 1 is ~40% cheaper per letter for ~5% more bytes (the PDF is ~45 KB either
# way). ReportLab has no setting for it, so its one FlateDecode filter object is replaced by one that
# reads the level from a thread-local set only while a letter is being written (below): every other
# PDF made in the process keeps the default.
FLATE_LEVEL = 1
_flate = threading.local()


class _Flate(pdfdoc.PDFStreamFilterZCompress):
    def encode(self, text):
        if isinstance(text, str):
            text = text.encode("utf8")
        return zlib.compress(text, getattr(_flate, "level", -1))


if not isinstance(pdfdoc.PDFZCompress, _Flate):
    pdfdoc.PDFZCompress = _Flate()


def _numbered_canvas(footer_markup: str):
    """A canvas that draws the footer on every page once it knows how many pages there are."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            count = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(count)
                super().showPage()
            _flate.level = FLATE_LEVEL
            try:
                super().save()
            finally:
                _flate.level = -1

        def _footer(self, count):
            text = footer_markup.replace("\x00PAGE\x00", str(self._pageNumber)).replace("\x00COUNT\x00", str(count))
            para = _para(text, STYLES["footer"])
            para.paragraph_baseline = True
            _, height = para.wrap(FRAME_WIDTH, 0.35 * inch)
            top = 0.35 * inch + 0.35 * inch
            self.setStrokeColor(RULE_99)
            self.setLineWidth(0.5)
            self.line(MARGIN_SIDE, top, MARGIN_SIDE + FRAME_WIDTH, top)
            para.drawOn(self, MARGIN_SIDE, top - 3 - height)

    return NumberedCanvas


def _footer_markup(root: Node) -> str:
    footer = _find_id(root, "page-footer")
    if footer is None:
        return ""
    parts = []
    for child in footer.children:
        if isinstance(child, str):
            parts.append(escape(_SPACE.sub(" ", child), quote=False))
        elif child.tag == "pdf:pagenumber":
            parts.append("\x00PAGE\x00")
        elif child.tag == "pdf:pagecount":
            parts.append("\x00COUNT\x00")
        else:
            parts.append(inline(child))
    return "".join(parts).strip()


def _find_id(node: Node, ident: str) -> Node | None:
    for child in node.elements():
        if child.attrs.get("id") == ident:
            return child
        found = _find_id(child, ident)
        if found is not None:
            return found
    return None


def html_to_pdf(html: str, *, title: str = "") -> bytes:
    """Lay out a letter's HTML (the letter templates' subset) as a PDF."""
    root = parse(html)
    body = _find(root, "body") or root
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=LETTER, leftMargin=MARGIN_SIDE, rightMargin=MARGIN_SIDE,
                            topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, title=title,
                            author="Medicare Secondary Payer Recovery", creator="msp-recovery",
                            keepTogetherClass=Group)
    doc.build(blocks(body), canvasmaker=_numbered_canvas(_footer_markup(root)))
    return out.getvalue()
