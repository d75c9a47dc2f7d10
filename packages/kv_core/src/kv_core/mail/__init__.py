"""The ways a deployment sends real mail, behind :class:`kv_core.notify.Notifier`."""
