"""Request bodies (issue 9, findings 6 and 7).

6. An oversize body is refused from its Content-Length before anything reads it (413), on the anonymous
   login form and on /api/documents/ — through a real socket that declares 60 MB and sends none of it:
   a server that tried to read the body would hang until the client's timeout. What is read is
   streamed: a file over FILE_UPLOAD_MAX_MEMORY_SIZE goes to a temporary file, never whole into memory.
7. A folder path in an upload's name is refused however it is written — RFC 5987 `filename*=` — and
   however large the body is (the temporary-file path), like the plain form's `filename="../../x.pdf"`.
   The multipart bodies are written by hand (Django's test client cuts folders off names)."""

import http.client
import io
import socket
import tracemalloc
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token

from recovery.models import UploadedDocument
from tests import factories as f

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BOUNDARY = "----sec-net-boundary"
SIXTY_MB = 60 * 1024 * 1024


def part(field, disposition_name, content, content_type="application/pdf"):
    return (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; {disposition_name}\r\n'
            f"Content-Type: {content_type}\r\n\r\n").encode() + content + b"\r\n"


def field_part(name, value):
    return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()


def body(*parts):
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


# --- 6: refused from the Content-Length, unread ---------------------------------------------------------------


def declare_and_wait(live_server, path, headers, *, timeout=5):
    """Send the request line and headers declaring a 60 MB body, then only 1 KB of it; return the status
    the server answers with (a server that waits for the rest never answers: socket.timeout)."""
    url = urlsplit(live_server.url)
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as sock:
        head = [f"POST {path} HTTP/1.1", f"Host: {url.hostname}:{url.port}", f"Content-Length: {SIXTY_MB}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + b"x" * 1024)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("path, kind", [("/accounts/login/", "form"), ("/api/documents/", "api")])
def test_an_oversize_body_is_refused_from_its_content_length_without_being_read(
        live_server, transactional_db, path, kind):
    headers = {"Content-Type": "application/x-www-form-urlencoded" if kind == "form" else CONTENT_TYPE}
    if kind == "api":
        user = f.caseworker()
        headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"
    assert declare_and_wait(live_server, path, headers) == 413
    assert not UploadedDocument.objects.exists()


def test_a_body_within_the_limit_is_read_as_usual_and_the_limit_follows_the_setting(
        live_server, transactional_db, settings):
    url = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("POST", "/api/token/", body=b'{"username": "x", "password": "y"}',
                 headers={"Content-Type": "application/json"})
    assert conn.getresponse().status == 400  # read and answered: wrong credentials
    conn.close()
    settings.MAX_REQUEST_BYTES = 16
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("POST", "/api/token/", body=b'{"username": "x", "password": "y"}',
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 413 and b"limit" in response.read()
    conn.close()


def test_a_content_length_that_is_not_a_number_is_refused(client):
    response = client.generic("POST", "/accounts/login/", b"", CONTENT_LENGTH="lots")
    assert response.status_code == 400


def test_a_file_over_the_memory_limit_streams_to_a_temporary_file_not_into_memory(settings, db):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
    data = PDF[:-6] + b"0" * (4 * 1024 * 1024) + b"\n%%EOF\n"
    raw = body(part("file", 'filename="big.pdf"', data))
    request = RequestFactory().generic("POST", "/api/documents/", raw, content_type=CONTENT_TYPE)
    request._stream = io.BufferedReader(io.BytesIO(raw))  # a stream like a socket's: read in chunks
    tracemalloc.start()
    try:
        uploaded = request.FILES["file"]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(uploaded, TemporaryUploadedFile) and uploaded.size == len(data)
    assert uploaded.raw_name == "big.pdf"
    assert peak < 1024 * 1024, f"{peak} bytes held while parsing a 4 MB upload"


# --- 7: a folder path in the name, however written ---------------------------------------------------------

NAMES = [
    pytest.param('filename="../../etc/x.pdf"', id="plain"),
    pytest.param("filename*=UTF-8''..%2F..%2Fx.pdf", id="rfc5987"),
    pytest.param("filename=\"x.pdf\"; filename*=UTF-8''..%2F..%2Fx.pdf", id="rfc5987-beside-a-plain-name"),
    pytest.param("filename*=utf-8'en'..%5C..%5Cx.pdf", id="rfc5987-backslashes"),
]


@pytest.fixture
def uploader(client, db):
    from rest_framework.test import APIClient

    user = f.caseworker()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


@pytest.mark.parametrize("disposition", NAMES)
def test_the_api_refuses_a_folder_path_in_the_name_however_it_is_written(uploader, disposition):
    raw = body(part("file", disposition, PDF), field_part("purpose", "other"))
    response = uploader.generic("POST", "/api/documents/", raw, content_type=CONTENT_TYPE)
    assert response.status_code == 400, response.content
    assert "folder path" in response.json()["file"][0]
    assert not UploadedDocument.objects.exists()


def test_the_api_refuses_a_folder_path_in_the_name_when_the_body_is_large(uploader, settings):
    """Over ~20 MB the old handler let Django parse the body and the name arrived cut down ("x.pdf", 201):
    a small PDF with a path in its name, and a large second part the serializer ignores."""
    settings.MAX_REQUEST_BYTES = 64 * 1024 * 1024
    padding = b"\x00" * (21 * 1024 * 1024)
    raw = body(part("file", 'filename="../../x.pdf"', PDF), field_part("purpose", "other"),
               part("padding", 'filename="padding.bin"', padding, "application/octet-stream"))
    response = uploader.generic("POST", "/api/documents/", raw, content_type=CONTENT_TYPE)
    assert response.status_code == 400, response.content
    assert "folder path" in response.json()["file"][0]
    assert not UploadedDocument.objects.exists()


def test_a_plain_good_name_is_stored_by_the_api(uploader):
    raw = body(part("file", "filename*=UTF-8''settlement%20agreement.pdf", PDF), field_part("purpose", "other"))
    response = uploader.generic("POST", "/api/documents/", raw, content_type=CONTENT_TYPE)
    assert response.status_code == 201, response.content
    assert UploadedDocument.objects.get().original_name == "settlement agreement.pdf"


@pytest.mark.parametrize("disposition", NAMES)
def test_the_portal_form_refuses_a_folder_path_in_the_name_however_it_is_written(client, db, disposition):
    from beneficiaries.models import ExternalProfile

    attorney = f.user("attorney-up")
    ExternalProfile.objects.create(user=attorney, kind=ExternalProfile.Kind.REPRESENTATIVE)
    case = f.case()
    client.force_login(attorney, backend="config.auth_backends.OneQueryModelBackend")
    raw = body(field_part("kind", "por"), field_part("case_number", case.number),
               field_part("mbi", case.beneficiary.mbi_display), part("document", disposition, PDF))
    response = client.generic("POST", reverse("portal:authorisation"), raw, content_type=CONTENT_TYPE)
    assert response.status_code == 200
    assert "folder path" in response.context["form"].errors["document"][0]
    assert not UploadedDocument.objects.exists()
