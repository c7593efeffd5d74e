"""Keep the file name the client really sent (issue 5: a path-traversal name is refused, not silently
cut down). Django's multipart parser reduces "../../etc/x.pdf" to "x.pdf" before any upload handler
sees it. This handler parses the body itself with a subclass of Django's parser that notes each file's
name as decoded from its header — plain `filename=` and RFC 5987/2231 `filename*=UTF-8''..%2F..%2Fx.pdf`
alike — just before Django cuts it down, and sets it as `.raw_name` on the UploadedFile.

The body is streamed, never read whole (issue 9, findings 6 and 7): the usual handlers still run
behind it, so a file over FILE_UPLOAD_MAX_MEMORY_SIZE goes to a temporary file, and its raw name is
kept whatever its size."""

from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.utils.encoding import force_str


class _RawNameParser(MultiPartParser):
    _raw_name = None

    def sanitize_file_name(self, file_name):
        self._raw_name = file_name  # decoded from the header (RFC 2231 included), folders still in it
        return super().sanitize_file_name(file_name)

    def handle_file_complete(self, old_field_name, counters):
        field = force_str(old_field_name, self._encoding, errors="replace")
        before = len(self._files.getlist(field))
        super().handle_file_complete(old_field_name, counters)
        uploads = self._files.getlist(field)
        if len(uploads) > before:
            uploads[-1].raw_name = self._raw_name


class RawNameUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if self.request is None:
            return None  # let Django parse it as usual
        handlers = [h for h in self.request.upload_handlers if not isinstance(h, RawNameUploadHandler)]
        return _RawNameParser(META, input_data, handlers, encoding).parse()

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
