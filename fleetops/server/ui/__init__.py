"""The web dashboard: page shells (``pages``), the files they load (``static/``), and what the
live stream sends (``snapshots``, with the state machine laid out by ``graph``)."""
