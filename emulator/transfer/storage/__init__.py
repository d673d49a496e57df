"""The files behind collections: paths confined to a collection's root, listings, quotas, the big folder."""
