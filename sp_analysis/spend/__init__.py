"""Spend: classification, the analysis table, filters, spend queries, suppliers, where the spend in view comes from."""
