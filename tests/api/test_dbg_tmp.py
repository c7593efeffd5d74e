import pytest
from .conftest import client_for, pdf_file
pytestmark = pytest.mark.django_db

def test_dbg(world):
    from recovery.models import UploadedDocument
    claims = list(world.main.claims.order_by("pk"))
    r = client_for(world.por).post(f"/api/cases/{world.main.pk}/disputes/", {
        "claims": [claims[0].pk], "grounds": "N",
        "documents": [pdf_file("records.pdf"), pdf_file("letter.pdf")]}, format="multipart")
    print(r.json())
    print(list(UploadedDocument.objects.filter(case=world.main).values("key", "original_name", "file")))
