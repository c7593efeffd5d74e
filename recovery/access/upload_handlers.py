"""Keep the file name the client really sent (issue 5: a path-traversal name is refused, not silently
cut down). Django's multipart parser reduces "../../etc/x.pdf" to "x.pdf" before any upload handler
sees it; this handler reads the (bounded) body first, notes each part's raw file name, and hands the
same bytes to Django's parser. Each UploadedFile then carries `.raw_name`."""

import io
import re

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser

_PART = re.compile(rb'Content-Disposition:\s*form-data;[^\r\n]*?\bname="([^"]*)"[^\r\n]*?\bfilename="([^"]*)"',
                   re.IGNORECASE)


class RawNameUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = getattr(settings, "MAX_UPLOAD_BYTES", 10 * 1024 * 1024) * 2 + 65536
        if self.request is None or content_length is None or content_length > limit:
            return None  # let Django parse it as usual (the size check refuses it later)
        body = input_data.read(content_length)
        raw_names: dict[str, list[str]] = {}
        for field, name in _PART.findall(body):
            raw_names.setdefault(field.decode("utf-8", "replace"), []).append(name.decode("utf-8", "replace"))
        handlers = [h for h in self.request.upload_handlers if not isinstance(h, RawNameUploadHandler)]
        post, files = MultiPartParser(META, io.BytesIO(body), handlers, encoding).parse()
        for field, uploads in files.lists():
            names = [n for n in raw_names.get(field, []) if n]  # parts without a file name carry no file
            if len(names) == len(uploads):  # parts and files in body order
                for uploaded, raw in zip(uploads, names):
                    uploaded.raw_name = raw
        return post, files

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
