"""The Store's engines: :mod:`kv_core.engines.sqlite` (embedded, the default) and
:mod:`kv_core.engines.dynamodb` (production; needs the ``dynamodb`` extra)."""
