"""Letters as PDF documents a person can print (SPEC §6).

`render_letter_pdf(letter)` renders `templates/letters/<kind>.html` (each extends
`letters/base.html`) with Django's template engine and lays the HTML out as a PDF with ReportLab's
platypus (`letters/layout.py`; xhtml2pdf, the earlier renderer, stays as the benchmark's baseline).
The text is set in DejaVu Sans, shipped in `recovery/fonts/`
and embedded in every PDF, so names such as "Łukasz Nowak" print as written (the PDF base-14 fonts
are Latin-1 only).

A letter prints what was frozen in `letter.content` when it was issued, plus `letter.amount`,
`letter.letter_date`, `letter.recipients` and the case's number. Where a fact the letter must state
is not (yet) frozen in the content, it is derived here from the letter's own date with the seeds'
clock lengths (the defaults in `DEFAULT_DAYS`), or read from the case, and the content key that
would override it is named next to the default.
"""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from ..cases.tracks import Track

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"  # recovery/fonts/ (package data)
FONT_FAMILY = "DejaVuSans"
FONT_FILES = {"DejaVuSans": "DejaVuSans.ttf", "DejaVuSans-Bold": "DejaVuSans-Bold.ttf"}

# Windows the letters state, in calendar days from the letter date (SPEC §3: the letter's date is
# day 0; a window of N days gives the party through day N). The seeds' numbers; a letter whose
# content carries the date itself (the key in the comment) prints that date instead.
DEFAULT_DAYS = {
    "cpl_due": 65,  # RAR: the CPL follows within 65 days ("cpl_by")
    "dispute_filing": 30,  # CPL: 30 days to dispute ("dispute_by")
    "dispute_decision": 45,  # CPL: the contractor decides a dispute within 45 days ("dispute_decision_days")
    "cpn_response": 30,  # CPN: 30 days to respond ("respond_by", always set by the services)
    "payment_notice_response": 45,  # GHP payment notice: 45 days ("respond_by")
    "interest_grace": 60,  # demand: resolve within 60 days, no interest ("due_date" or "grace_days")
    "appeal_window": 120,  # demand: 120 days from receipt to request a redetermination ("appeal_by")
    "treasury_after_itr": 60,  # ITR: 60 days, referral on day 61 ("resolve_by" / "referral_date")
    "treasury_after_demand": 120,  # plan track: referral on day 121 after the demand ("referral_date")
}

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")

# The contractor that signs the letters of each track (SPEC §2: BCRC beneficiaries, CRC plans).
# settings.RECOVERY_LETTERHEAD may replace any entry, e.g. to add the mailing address and phone:
# {"beneficiary": {"name": "...", "short": "BCRC", "lines": ["PO Box ...", "City, ST 00000"]}}.
LETTERHEAD = {
    Track.BENEFICIARY: {
        "name": "Benefits Coordination & Recovery Center",
        "short": "BCRC",
        "lines": [],
    },
    Track.PLAN: {"name": "Commercial Repayment Center", "short": "CRC", "lines": []},
    Track.GHP: {"name": "Commercial Repayment Center", "short": "CRC", "lines": []},
}

ROLE_LABELS = {
    "beneficiary": "Beneficiary",
    "debtor": "Debtor",
    "representative": "Representative",
    "attorney": "Attorney",
    "insurer": "Insurer",
}

APPEAL_LEVELS = {
    1: "redetermination by the contractor",
    2: "reconsideration by a Qualified Independent Contractor",
    3: "hearing before an Administrative Law Judge (Office of Medicare Hearings and Appeals)",
    4: "review by the Medicare Appeals Council (Departmental Appeals Board)",
}

_fonts_lock = threading.Lock()
_fonts_ready = False


# --- formatting -----------------------------------------------------------------------------------


def usd(value) -> str:
    """$1,234.56 (half up to the cent); "—" when there is no amount."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"−${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


def percent(value) -> str:
    """A rate given as a fraction ("0.115") as 11.50%; as given if it already says %."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return value.strip()
    rate = _decimal(value)
    if rate is None:
        return ""
    shown = rate * 100 if rate <= 1 else rate  # a fraction (0.115), as the rate table stores it
    if shown == shown.quantize(Decimal("0.01")):
        return f"{shown.quantize(Decimal('0.01'))}%"
    return f"{shown.normalize():f}%"


def long_date(value) -> str:
    """March 10, 2024 (no locale involved)."""
    day = _date(value)
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}" if day else ""


def _usd_or_none(value) -> str | None:
    return None if value is None or value == "" else usd(value)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        return Decimal(str(value).replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        return None


def _date(value) -> date | None:
    if not value:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _count_word(n: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six")
    return words[n] if 0 <= n < len(words) else str(n)


def _plus(day: date, days: int) -> date:
    return day + timedelta(days=days)


# --- public -----------------------------------------------------------------------------------------


def letter_filename(letter) -> str:
    """e.g. 200000000000001-demand-2024-03-10.pdf"""
    kind = str(letter.kind).replace("_", "-")
    return f"{letter.case.number}-{kind}-{_date(letter.letter_date).isoformat()}.pdf"


def render_letter_html(letter, *, recipient: dict | None = None) -> str:
    """The letter's HTML (what the PDF is made from); useful to preview or debug a template."""
    return render_to_string(f"letters/{letter.kind}.html", letter_context(letter, recipient=recipient))


def render_letter_pdf(letter, *, recipient: dict | None = None) -> bytes:
    """The letter as a PDF. `recipient` (one of `letter.recipients`) is the addressee of this copy;
    by default the first recipient. The other recipients are listed as copies. Laid out by
    ReportLab's platypus from the letter's HTML (`layout`): the templates say what it says."""
    from .layout import html_to_pdf

    _register_fonts()
    html = render_letter_html(letter, recipient=recipient)
    return html_to_pdf(html, title=f"{letter.get_kind_display()} — case {letter.case.number}")


def render_letter_pdf_xhtml2pdf(letter, *, recipient: dict | None = None) -> bytes:
    """The same letter through xhtml2pdf's CSS engine (the renderer before platypus): kept as the
    baseline `manage.py bench_letters` compares with, and for a side-by-side look at the layout."""
    from xhtml2pdf import pisa

    _register_fonts()
    html = render_letter_html(letter, recipient=recipient)
    out = io.BytesIO()
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if status.err:
        raise RuntimeError(f"Could not render the {letter.kind} letter {letter.pk} as a PDF ({status.err} errors).")
    return out.getvalue()


# --- fonts ------------------------------------------------------------------------------------------


def _register_fonts():
    """Register DejaVu Sans (regular, bold) with ReportLab once, and make xhtml2pdf know the family."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        from xhtml2pdf import default as xhtml2pdf_default

        for name, filename in FONT_FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        # No italic faces are shipped: italic falls back to the upright faces (the letters use none).
        addMapping(FONT_FAMILY, 0, 0, "DejaVuSans")
        addMapping(FONT_FAMILY, 1, 0, "DejaVuSans-Bold")
        addMapping(FONT_FAMILY, 0, 1, "DejaVuSans")
        addMapping(FONT_FAMILY, 1, 1, "DejaVuSans-Bold")
        for alias in ("dejavusans", "dejavu sans"):
            xhtml2pdf_default.DEFAULT_FONT[alias] = FONT_FAMILY
        _fonts_ready = True


# --- what the templates get ---------------------------------------------------------------------


def _addressee(row: dict) -> dict:
    role = row.get("role") or ""
    address = (row.get("address") or "").strip()
    return {
        "name": row.get("name") or "",
        "role": role,
        "role_label": ROLE_LABELS.get(role, role.replace("_", " ").capitalize()),
        "address_lines": [line.strip() for line in address.splitlines() if line.strip()],
        "email": row.get("email") or "",
    }


def _claims(rows) -> list[dict]:
    out = []
    for row in rows or []:
        start, end = _date(row.get("service_from")), _date(row.get("service_to"))
        out.append({
            "claim_number": row.get("claim_number", ""),
            "provider": row.get("provider", ""),
            "service_from": start.isoformat() if start else row.get("service_from", ""),
            "service_to": end.isoformat() if end else row.get("service_to", ""),
            "dates": (f"{start:%m/%d/%Y}" if start == end else f"{start:%m/%d/%Y} – {end:%m/%d/%Y}")
            if start and end else "",
            "diagnosis_codes": ", ".join(code.strip() for code in str(row.get("diagnosis_codes", "")).split(",")
                                         if code.strip()),
            "amount_paid": usd(row.get("amount_paid")),
        })
    return out


def _sum_claims(rows) -> Decimal:
    return sum((_decimal(r.get("amount_paid")) or Decimal("0") for r in rows or []), Decimal("0.00"))


_RULE_LABELS = {
    "411.37(c)": "42 CFR 411.37(c): Medicare payments less than the settlement",
    "411.37(d)": "42 CFR 411.37(d): Medicare payments equal to or more than the settlement",
    "411.37(e)": "42 CFR 411.37(e): recovery after CMS had to sue",
    "411.37(b)": "42 CFR 411.37(b) and 411.24(i): recovery from the primary payer",
}


def _computation(comp: dict | None) -> dict | None:
    if not comp:
        return None
    rule = str(comp.get("rule") or "")
    label = _RULE_LABELS.get(rule)
    if label is None:
        label = "Total of the conditional payments on the related claims" if "5.1" in rule or not rule else rule
    return {
        "conditional_payments": usd(comp.get("conditional_payments")),
        "settlement": _usd_or_none(comp.get("settlement")),
        "procurement_costs": _usd_or_none(comp.get("procurement_costs")),
        "amount": usd(comp.get("amount")),
        "rule": rule,
        "rule_label": label,
        "without_reduction": bool(comp.get("without_reduction")),
        "steps": list(comp.get("steps") or []),
    }


def _letterhead(track: str) -> dict:
    head = dict(LETTERHEAD.get(track) or LETTERHEAD[Track.BENEFICIARY])
    override = (getattr(settings, "RECOVERY_LETTERHEAD", None) or {}).get(str(track))
    if override:
        head.update(override)
    return head


def _window(ctx, key, given, on: date, default_days: int):
    """A response window: its last day (`key`) and its length in days (`key`_days), from the date the
    content froze or, failing that, the default length counted from the letter date (day 0)."""
    last = _date(given) or _plus(on, default_days)
    ctx[key] = long_date(last)
    ctx[f"{key}_days"] = (last - on).days


def letter_context(letter, *, recipient: dict | None = None) -> dict:
    """Everything a letter template prints, formatted (money as $1,234.56, dates as March 10, 2024)."""
    case = letter.case
    c = dict(letter.content or {})
    on = _date(letter.letter_date)
    rows = list(letter.recipients or [])
    to_row = recipient if recipient is not None else (rows[0] if rows else {"name": c.get("debtor", "")})
    copies = [_addressee(r) for r in rows if r != to_row]
    track = str(case.track)
    bene_is_debtor = track == Track.BENEFICIARY

    dated_by = c.get("dated_by")
    ctx = {
        "letter": letter,
        "kind": str(letter.kind),
        "title": letter.get_kind_display(),
        "content": c,
        "track": track,
        "is_beneficiary_track": track == Track.BENEFICIARY,
        "is_plan_track": track == Track.PLAN,
        "is_ghp_track": track == Track.GHP,
        "bene_is_debtor": bene_is_debtor,
        "contractor": _letterhead(track),
        "letter_date": long_date(on),
        "letter_date_iso": on.isoformat(),
        "dated_by": dated_by if dated_by in ("rule", "run_date") else None,
        "case_number": c.get("case_number") or case.number,
        "beneficiary": c.get("beneficiary") or case.beneficiary.full_name,
        "mbi": c.get("mbi") or case.beneficiary.mbi_display,
        "debtor": c.get("debtor") or case.debtor_name,
        "to": _addressee(to_row),
        "copies": copies,
        "as_of": long_date(c.get("as_of") or on),
        "amount": _usd_or_none(letter.amount),
        "updated": bool(c.get("updated")),
    }
    incident = c.get("incident_date") or case.incident_date
    ctx["incident_date"] = long_date(incident) if incident else None

    if "claims" in c:
        ctx["claims"] = _claims(c["claims"])
        ctx["total"] = usd(c["total"]) if c.get("total") not in (None, "") else usd(_sum_claims(c["claims"]))

    kind = ctx["kind"]
    if kind == "rar":
        _window(ctx, "cpl_by", c.get("cpl_by"), on, DEFAULT_DAYS["cpl_due"])
    elif kind == "cpl":
        _window(ctx, "dispute_by", c.get("dispute_by"), on, DEFAULT_DAYS["dispute_filing"])
        ctx["decision_days"] = _int(c.get("dispute_decision_days"), DEFAULT_DAYS["dispute_decision"])
    elif kind == "cpn":
        _window(ctx, "respond_by", c.get("respond_by"), on, DEFAULT_DAYS["cpn_response"])
    elif kind == "payment_notice":
        _window(ctx, "respond_by", c.get("respond_by"), on, DEFAULT_DAYS["payment_notice_response"])
    elif kind == "dispute_decision":
        outcome = str(c.get("outcome") or "")
        ctx["outcome"] = outcome
        ctx["outcome_label"] = {"granted": "Granted", "partial": "Partly granted", "denied": "Denied"}.get(
            outcome, outcome.capitalize())
        ctx["reason"] = c.get("reason") or ""
        ctx["removed"] = list(c.get("removed") or [])
        ctx["added"] = list(c.get("added") or [])
        ctx["previous_total"] = usd(c["previous_total"]) if c.get("previous_total") else None
    elif kind == "demand":
        ctx["computation"] = _computation(c.get("computation"))
        ctx["demand_amount"] = usd(letter.amount if letter.amount is not None
                                   else (c.get("computation") or {}).get("amount"))
        settlement_date = c.get("settlement_date") or (case.termination_date if ctx["computation"]
                                                       and ctx["computation"]["settlement"] else None)
        ctx["settlement_date"] = long_date(settlement_date) if settlement_date else None
        grace = _int(c.get("grace_days"), DEFAULT_DAYS["interest_grace"])
        period = _int(c.get("period_days"), 30)
        due = _date(c.get("due_date")) or _plus(on, grace)
        ctx["due_date"] = long_date(due)
        ctx["grace_days"] = (due - on).days
        ctx["interest_from"] = long_date(on)
        ctx["assessed_on"] = long_date(_plus(due, 1))
        ctx["period_days"] = period
        ctx["year_days"] = _int(c.get("year_days"), None)
        ctx["first_periods"] = _count_word(max(grace // period, 1)) if period else ""
        rate = c.get("annual_rate", c.get("interest_rate"))
        ctx["interest_rate"] = percent(rate) if rate not in (None, "") else None
        ctx["appeal_by"] = long_date(c.get("appeal_by")) if c.get("appeal_by") else None
        ctx["appeal_days"] = DEFAULT_DAYS["appeal_window"]
        ctx["claims_total"] = (ctx["computation"] or {}).get("conditional_payments") or ctx.get("total")
    elif kind in ("itr", "referral_notice", "treasury_referral"):
        principal, interest = _decimal(c.get("principal")), _decimal(c.get("interest"))
        ctx["principal"] = usd(principal)
        ctx["interest"] = usd(interest if interest is not None else Decimal("0"))
        balance = letter.amount if letter.amount is not None else (principal or 0) + (interest or 0)
        ctx["balance"] = usd(balance)
        demand_date = _date(c.get("demand_date")) or case.demand_date
        ctx["demand_date"] = long_date(demand_date) if demand_date else None
        ctx["demand_amount"] = _usd_or_none(case.demand_amount)
        if kind == "itr":
            resolve_by = _date(c.get("resolve_by")) or _plus(on, DEFAULT_DAYS["treasury_after_itr"])
            referral = _date(c.get("referral_date")) or _plus(resolve_by, 1)
            ctx["resolve_by"], ctx["referral_date"] = long_date(resolve_by), long_date(referral)
            ctx["window_days"] = (resolve_by - on).days
        elif kind == "referral_notice":
            if c.get("referral_date"):
                referral = _date(c["referral_date"])
            elif demand_date:
                referral = _plus(demand_date, DEFAULT_DAYS["treasury_after_demand"] + 1)
            else:
                referral = _plus(on, DEFAULT_DAYS["treasury_after_itr"])
            ctx["referral_date"] = long_date(referral)
            ctx["resolve_by"] = long_date(_plus(referral, -1))
            ctx["appeal_by"] = long_date(_date(c.get("appeal_by")) or (
                _plus(demand_date, DEFAULT_DAYS["appeal_window"]) if demand_date else None))
        else:
            ctx["referral_date"] = long_date(_date(c.get("referral_date")) or on)
    elif kind in ("appeal_decision", "waiver_decision", "challenge_decision"):
        favourable = bool(c.get("favourable"))
        reduced_to = _decimal(c.get("reduced_to"))
        ctx["favourable"] = favourable
        ctx["cancelled"] = favourable and reduced_to is not None and reduced_to == 0
        ctx["reduced_to"] = usd(reduced_to) if reduced_to is not None else None
        ctx["reason"] = c.get("reason") or ""
        ctx["balance_before"] = _usd_or_none(c.get("balance_before"))
        ctx["balance_after"] = _usd_or_none(c.get("balance_after"))
        ctx["refund"] = usd(c.get("refund")) if _decimal(c.get("refund")) else None
        level = c.get("appeal_level")
        ctx["appeal_level"] = int(level) if str(level or "").isdigit() else None
        ctx["appeal_level_label"] = APPEAL_LEVELS.get(ctx["appeal_level"]) if ctx["appeal_level"] else None
        ctx["next_level_label"] = APPEAL_LEVELS.get(ctx["appeal_level"] + 1) if ctx["appeal_level"] else None
        ctx["demand_amount"] = _usd_or_none(case.demand_amount)
    return ctx
