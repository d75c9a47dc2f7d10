"""The dashboard's pages, one blueprint per area."""
