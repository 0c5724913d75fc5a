"""Lifelong-education statistics (pure): facts, tables, disclosure control, reports."""
