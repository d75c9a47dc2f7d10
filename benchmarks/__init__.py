"""``nox -s bench``: KV Storage's performance figures, each next to its budget.

Every figure is a ratio of two things measured side by side in one run, so a noisy,
shared machine moves both sides together.
"""
