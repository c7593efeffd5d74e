"""The platypus letter layout (recovery/letters/layout.py): what the template says is what the PDF prints —
nothing cut where a line is too long for its cell, nothing dropped for an unknown tag, the page footer
numbered "Page n of m", bold and right-aligned cells kept. The letters' own facts per kind (SPEC §6)
are checked in test_pdf.py, which runs through this renderer.

The layout breaks text into lines itself (`Line` for text in one font, `Rich` for the letters' inline
markup) instead of through platypus's Paragraph: the tests below hold it to Paragraph's line breaks
(same words on the same lines, same unused width, same line size) over generated text — accented
names, words wider than the column, no-break spaces, entities, bold, line breaks, the big/dated spans,
a paragraph exactly the column's width — and check that what it does not handle goes to Paragraph."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.lib.enums import TA_RIGHT
from reportlab.platypus import Paragraph

from recovery.letters.layout import (
    STYLES,
    Line,
    Rich,
    _break_rich,
    _frag_words,
    _runs,
    _words_markup,
    _para,
    _variant,
    html_to_pdf,
    inline,
    parse,
    stringWidth,
)
from recovery.letters.pdf import _register_fonts

from .test_pdf import pdf_fonts, pdf_text


@pytest.fixture(autouse=True)
def fonts():
    _register_fonts()


def page(body: str, footer: str = "Case 1 &#183; Page <pdf:pagenumber /> of <pdf:pagecount />") -> str:
    return f'<html><body><div id="page-footer">{footer}</div>{body}</body></html>'


def test_a_cell_too_long_for_its_column_wraps_and_prints_every_word():
    provider = "Świętokrzyski Regional Physical Therapy and Rehabilitation Center of Excellence, Building C"
    html = page(f'<table class="claims"><tr><th width="20%">Claim</th><th width="80%">Provider</th></tr>'
                f'<tr><td>24001100012345</td><td>{provider}</td></tr></table>'
                f'<table class="claims"><tr><th width="90%">Claim</th><th width="10%">Provider</th></tr>'
                f'<tr><td>1</td><td>{provider}</td></tr></table>')
    text = " ".join(pdf_text(html_to_pdf(html)).split())
    assert text.count(provider) == 1  # the wide column: one line
    # the narrow one (10%): wrapped over many lines (long words split), every letter still there, in order
    narrow = "".join(text.split(provider, 1)[1].split())
    assert "".join(provider.split()) in narrow


def test_the_footer_numbers_every_page_and_text_spills_onto_the_next_page():
    body = "".join(f"<p>Paragraph number {i} of a long letter, long enough to fill several pages.</p>"
                   for i in range(200))
    data = html_to_pdf(page(body))
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert pages >= 3
    for number, pdf_page in enumerate(reader.pages, start=1):
        assert f"Page {number} of {pages}" in pdf_page.extract_text()
    text = pdf_text(data)
    assert all(f"Paragraph number {i} of" in text for i in range(200))


def test_unknown_tags_print_their_text_and_markup_typed_by_people_is_text():
    html = page("<section><p>Inside a section</p><em>emphasised</em> and <u>underlined</u></section>"
                "<p>&lt;b&gt;Not bold&lt;/b&gt; &amp; fine</p>")
    text = pdf_text(html_to_pdf(html))
    assert "Inside a section" in text and "emphasised and underlined" in text
    assert "<b>Not bold</b> & fine" in text


def test_plain_text_is_drawn_as_a_line_and_markup_as_a_paragraph():
    from recovery.letters.layout import STYLES

    assert isinstance(_para("Dear Zoë Kowalski:", STYLES["p"]), Line)
    assert isinstance(_para("<b>$5,697.11</b>", STYLES["p"]), Line)
    assert _para("<b>$5,697.11</b>", STYLES["p"]).style.fontName == "DejaVuSans-Bold"
    assert not isinstance(_para("Pay <b>$5,697.11</b> by", STYLES["p"]), Line)
    assert inline(parse("<p>  one\n   two <br> three  </p>").children[0]) == "one two<br/>three"


def test_fonts_are_embedded_so_accented_names_print_as_written():
    data = html_to_pdf(page("<h1>Łukasz Nowak</h1><p>Zoë <b>Kowalski</b></p>"))
    assert "Łukasz Nowak" in pdf_text(data) and "Zoë Kowalski" in pdf_text(data)
    fonts = pdf_fonts(data)
    assert any("DejaVuSans-Bold" in name for name in fonts) and any(name.endswith("DejaVuSans") for name in fonts)


# --- the line breaking is Paragraph's ---------------------------------------------------------------


def _merged(runs):
    """Runs of one font and size joined; a line's trailing spaces dropped (they print nothing)."""
    out = []
    for font, size, text in runs:
        if not text:
            continue
        if out and out[-1][:2] == (font, size):
            out[-1] = (font, size, out[-1][2] + text)
        else:
            out.append((font, size, text))
    if out:
        out[-1] = (*out[-1][:2], out[-1][2].rstrip(" "))
    return [run for run in out if run[2]]


def paragraph_lines(markup, style, width):
    p = Paragraph(markup, style)
    p.wrap(width, 1e9)
    bl = p.blPara
    if bl.kind == 0:
        return [(round(extra, 6), _merged([(bl.fontName, bl.fontSize, " ".join(words))]), bl.fontSize)
                for extra, words in bl.lines]
    return [(round(line.extraSpace, 6), _merged([(w.fontName, w.fontSize, w.text) for w in line.words]),
             line.fontSize) for line in bl.lines]


def line_lines(flowable, width):
    if isinstance(flowable, Line):
        lines = flowable.break_lines(width)
        s = flowable.style
        return None if lines is None else [
            (round(extra, 6), _merged([(s.fontName, s.fontSize, " ".join(words))]), s.fontSize)
            for extra, words in lines]
    if flowable.words is None:
        return None
    lines = _break_rich(flowable.words, width, flowable.style.spaceShrinkage)
    return None if lines is None else [(round(extra, 6), _merged(runs), big) for extra, runs, big, _, _ in lines]


WORDS = ["Zoë", "Łukasz", "Nowak", "Świętokrzyski", "a", "of", "the", "$5,697.11", "2026.", "(MBI)", "—",
         "1EG4-TE5-MK73", "Rehabilitation", "Kowalski-Wiśniewska", "&amp;", "A&amp;B", "1\xa0234", ",",
         "x" * 45]
STYLE_NAMES = ["p", "refs_td", "refs_th", "claims_td", "claims_th", "address", "keybox_p", "footer"]

plain_text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=30).map(" ".join)


@st.composite
def marked_up(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.integers(0, 9))
        space = draw(st.sampled_from(["", " ", " "]))
        if kind < 6:
            parts.append(draw(st.sampled_from(WORDS)) + space)
        elif kind == 6 and depth < 2:
            parts.append(f"<b>{draw(marked_up(depth + 1))}</b>{space}")
        elif kind == 7 and depth < 2:
            size = draw(st.sampled_from(["11", "7.5"]))
            parts.append(f'<font size="{size}"><b>{draw(marked_up(depth + 1))}</b></font>{space}')
        else:
            parts.append("<br/>")
    return "".join(parts).strip()


widths = st.one_of(st.floats(8, 480), st.sampled_from([30.0, 100.0, 162.0, 446.4]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=plain_text, style=st.sampled_from(STYLE_NAMES), width=widths, right=st.booleans())
def test_plain_text_breaks_into_the_lines_paragraph_gives(text, style, width, right):
    style = _variant(STYLES[style], alignment=TA_RIGHT) if right else STYLES[style]
    flowable = _para(text, style)
    assert isinstance(flowable, Line)
    mine = line_lines(flowable, width)
    if mine is None:  # handed to Paragraph: only where a word is wider than the line
        assert any(stringWidth(w, style.fontName, style.fontSize) > width for w in flowable.words)
        return
    assert mine == paragraph_lines(text, style, width)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup=marked_up(), style=st.sampled_from(STYLE_NAMES), width=widths)
def test_marked_up_text_breaks_into_the_lines_paragraph_gives(markup, style, width):
    flowable = _para(markup, STYLES[style])
    if not isinstance(flowable, Rich):
        return  # plain or bold throughout: the test above
    mine = line_lines(flowable, width)
    if mine is None:  # handed to Paragraph: only where a word is wider than the line
        assert flowable.words is None or any(word[0] > width for word in flowable.words)
        return
    assert mine == paragraph_lines(markup, STYLES[style], width)


def test_the_demo_letters_paragraphs_break_as_paragraph_breaks_them_at_their_widths():
    sentence = ("Medicare has been told that you have, or may have, a liability, no-fault or workers' "
                "compensation claim for an incident on <b>July 24, 2026</b>. The total is "
                '<font size="11"><b>$3,445.35</b></font>, due by <b>March 10, 2027</b>.')
    for width in (120.0, 200.0, 300.0, 446.4):
        assert line_lines(_para(sentence, STYLES["p"]), width) == paragraph_lines(sentence, STYLES["p"], width)


def test_a_paragraph_exactly_the_column_width_is_one_line_and_a_hair_narrower_still_matches_paragraph():
    text = "Łukasz Nowak and Zoë Kowalski owe $5,697.11 as of March 10, 2027"
    style = STYLES["p"]
    exact = stringWidth(text, style.fontName, style.fontSize)
    line = _para(text, style)
    assert line_lines(line, exact) == paragraph_lines(text, style, exact)
    assert len(line.break_lines(exact)) == 1 and line.break_lines(exact)[0][0] == pytest.approx(0)
    for width in (exact - 0.01, exact - 1.0, exact - 3.0, exact + 0.01):
        assert line_lines(line, width) == paragraph_lines(text, style, width)
        assert " ".join(" ".join(words) for _, words in line.break_lines(width)) == text


def test_a_word_wider_than_the_column_goes_to_paragraph_and_prints_every_letter():
    word = "Świętokrzyskiego" * 4
    line = _para(f"Provider {word} Center", STYLES["claims_td"])
    line.wrap(60, 1000)
    assert line.paragraph is not None  # Paragraph splits the word; the Line does not try
    rich = _para(f"Provider <b>{word}</b> Center", STYLES["claims_td"])
    rich.wrap(60, 1000)
    assert rich.paragraph is not None
    html = page(f'<table class="claims"><tr><td width="12%">{word}</td><td width="88%"><b>x</b> {word}</td></tr>'
                "</table>")
    assert "".join(pdf_text(html_to_pdf(html)).split()).count(word) == 2


def test_markup_beyond_the_letters_subset_is_laid_out_by_paragraph():
    for markup in ('Pay <font color="red">now</font>', "Pay <u>now</u>", "Pay <i>now</i> <b>x</b>",
                   '<font size="11" face="x">y</font> z', "<br/><br/>", "</b>x<b>", "a <b/> b",
                   "<b>open", '<font size="9">open'):
        flowable = _para(markup, STYLES["p"])
        assert not isinstance(flowable, Rich) or flowable.words is None, markup
    data = html_to_pdf(page("<p>Before <b>bold</b> and <u>underlined</u> after</p>"))
    assert "Before bold and underlined after" in pdf_text(data)


def test_long_paragraphs_split_across_pages_print_every_word_once_in_order():
    words = [f"w{i:04d}" for i in range(2400)]
    plain = " ".join(words[:1200])
    rich = " ".join(f"<b>{w}</b>" if i % 7 == 0 else w for i, w in enumerate(words[1200:]))
    data = html_to_pdf(page(f"<p>Łukasz {plain}</p><p>Zoë {rich}</p>"))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 4  # each paragraph runs over more than a page
    text = pdf_text(data)
    positions = [text.index(w) for w in words]
    assert positions == sorted(positions) and all(text.count(w) == 1 for w in words)
    assert "Łukasz w0000" in text and "Zoë w1200" in text
    for number in range(1, len(reader.pages) + 1):
        assert f"Page {number} of {len(reader.pages)}" in reader.pages[number - 1].extract_text()


def test_multi_line_text_right_aligned_and_with_accents_prints_as_written():
    names = " ".join(["Zoë Łukasz Świętokrzyski"] * 6)
    html = page(f'<table class="claims"><tr><td width="70%">x</td><td width="30%" class="num">{names}</td></tr>'
                f'</table><p>{names} <b>{names}</b></p>')
    text = pdf_text(html_to_pdf(html))
    assert text.count("Zoë Łukasz Świętokrzyski") == 18


def test_the_rest_of_a_split_paragraph_has_markup_for_the_same_text_should_it_become_a_paragraph():
    markup = 'Pay <font size="11"><b>$3,445.35</b></font> by <b>March 10, 2027</b>.<br/>Zoë &amp; Łukasz'
    words = _frag_words(_runs(markup, STYLES["p"]))
    again = _words_markup(words, STYLES["p"])
    for width in (60.0, 150.0, 446.4):
        assert paragraph_lines(again, STYLES["p"], width) == paragraph_lines(markup, STYLES["p"], width)
    rich = _para(markup, STYLES["p"])
    rich.wrap(80.0, 1000)
    assert rich.paragraph is None and len(rich.lines) > 4
    first, rest = rich.split(80.0, 3 * STYLES["p"].leading)
    assert len(first.lines) == 3 and isinstance(rest, Rich)
    assert line_lines(rest, 80.0) == paragraph_lines(rest.markup, STYLES["p"], 80.0)
    rest.wrap(80.0, 1000)
    printed = " ".join("".join(run[2] for run in line[1]) for line in first.lines + rest.lines)
    assert " ".join(printed.split()) == "Pay $3,445.35 by March 10, 2027. Zoë & Łukasz"
