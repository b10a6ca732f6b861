"""The operator command line, the parts that are not domain logic: the grammar of the daily
verbs (shared by the management commands and the remote client, so both take the same flags),
the text and JSON output of API-shaped objects, following a run's live output, and the remote
client over the REST API. The management commands of the apps parse with grammar.py, call
their domain services, serialize with their API serializers and print with render.py: a
command's `--json` is the API's body for the same object.
"""
