"""Queries and writes, one module per domain; no HTTP here."""
