"""The control-plane server: REST API, Step Functions protocol endpoint, web UI, auth."""
