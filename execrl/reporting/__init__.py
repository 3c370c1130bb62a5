"""Figures and the HTML report. Imports nothing that computes results: it only presents them."""
