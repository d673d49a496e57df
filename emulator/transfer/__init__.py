"""Emulated Globus Transfer v0.10: collections, filesystem operations, tasks, ACLs, roles, bookmarks.

`http/` holds the views (one module per resource, all on one blueprint), `tasks/` the task engine
and its runner, `storage/` the collections' files on disk; the catalogue tables, permissions,
shared documents and errors sit here beside them. docs/emulator.md maps every module.
"""
