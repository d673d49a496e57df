"""The only package in app/ that imports globus_sdk: SDK clients, token storage, error translation."""
