"""The official view (being built)."""

from __future__ import annotations

import streamlit as st

from app.state import Dataset
from geo.i18n import t


def render(lang: str, ds: Dataset | None) -> None:
    st.title(t("view.official", lang))
