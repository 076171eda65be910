"""Secrets with Secrets Manager's model: versions, staging labels, values encrypted at rest.

``cipher`` (the key file and AES-GCM), ``generate`` (new values), ``vault`` (values in and out
of the store), ``catalog`` (what list/describe show, rotation due dates).
"""
