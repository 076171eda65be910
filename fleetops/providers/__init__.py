"""Providers: where instances run. ``local`` (processes behind HAProxy) and ``aws`` (boto3)."""
