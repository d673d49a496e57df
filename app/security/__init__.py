"""Security building blocks: token encryption, CSRF, safe redirects, headers, sessions, log redaction."""
