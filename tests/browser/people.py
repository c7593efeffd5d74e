"""What the browser tests share: signing in (admin and portal), and the case an attorney settles —
CPL issued five days ago, two claims ($1,200.00 and $800.00), Jane Roe's verified POR — with the
settlement agreement she uploads."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User

from beneficiaries.models import Authorisation, ExternalProfile
from recovery.cases import services
from tests import factories as f
from tests.portal.conftest import act, authorise

ATTORNEY_PASSWORD = "attorney-pw-2026"

# A small valid PDF, written by hand: header, one empty page, cross-reference table, trailer, %%EOF.
PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj
xref
0 4
0000000000 65535 f 
0000000009 00000 n 
0000000058 00000 n 
0000000115 00000 n 
trailer << /Size 4 /Root 1 0 R >>
startxref
186
%%EOF
"""


def admin_login(page, live_server, username, password="pw-test-123"):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def portal_login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")


def case_awaiting_settlement(worker, tmp_path):
    """(case, attorney, path of the agreement PDF): the case Jane Roe settles for Ada Lovelace."""
    today = services.today()
    bene = f.beneficiary(first_name="Ada", last_name="Lovelace")
    case = f.case(actor=worker, occurrence=f.occurrence(bene), opened_on=today - timedelta(days=20),
                  caseworker=worker)
    f.claim(case, amount_paid=Decimal("1200.00"))
    f.claim(case, amount_paid=Decimal("800.00"))
    act(case, "post_occurrence", today - timedelta(days=19), worker)
    act(case, "issue_rar", today - timedelta(days=18), worker)
    act(case, "issue_cpl", today - timedelta(days=5), worker)
    attorney = User.objects.create_user("attorney", password=ATTORNEY_PASSWORD, first_name="Jane",
                                        last_name="Roe")
    ExternalProfile.objects.create(user=attorney, kind=ExternalProfile.Kind.REPRESENTATIVE,
                                   organisation="Roe & Partners LLP")
    authorise(attorney, Authorisation.Kind.POR, verifier=worker, case=case)
    document = tmp_path / "settlement-agreement.pdf"
    document.write_bytes(PDF)
    return case, attorney, document
