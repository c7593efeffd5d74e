import pytest
from tests.api.conftest import client_for
pytestmark = pytest.mark.django_db

def test_smoke(world):
    for name, user in world.users.items():
        c = client_for(user)
        r = c.get("/api/cases/")
        print(name, r.status_code, [x["id"] for x in r.json().get("results", [])] if r.status_code == 200 else r.json())
    r = client_for(world.caseworker).get(f"/api/cases/{world.debt.pk}/")
    print(r.json())
    r = client_for(world.por).get(f"/api/cases/{world.main.pk}/")
    print(r.json())
    print({k: v.pk for k, v in world.cases.items()})

def test_smoke2(world):
    pass
