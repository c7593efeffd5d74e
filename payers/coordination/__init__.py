"""Who pays first (SPEC §7; CRS Tables 1–3): the rule in ``rules`` (pure), the caseworker page in
``admin_views``, the API endpoint in ``api``, the occurrence hook in ``occurrence``."""
