"""The platypus letter layout (recovery/letter_pdf.py): what the template says is what the PDF prints —
nothing cut where a line is too long for its cell, nothing dropped for an unknown tag, the page footer
numbered "Page n of m", bold and right-aligned cells kept. The letters' own facts per kind (SPEC §6)
are checked in test_pdf.py, which runs through this renderer."""

import io

import pytest
from pypdf import PdfReader

from recovery.letters.layout import Line, _para, html_to_pdf, inline, parse
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
