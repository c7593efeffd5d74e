"""Request-level safeguards (issue 9): the client address behind proxies, the request body's size,
download caching. Small, framework-level pieces used by the audit log, django-axes and the middleware."""
