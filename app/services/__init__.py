"""The service layer: what the portal can do, user first, plain data out, domain errors raised."""
