"""Xuequ's front ends: the Streamlit page (``app/main.py``) and the ``xuequ`` command (``app.cli``)."""
