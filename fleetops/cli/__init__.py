"""The ``fleetops`` command line: thin typer commands that call the layers below and render."""
