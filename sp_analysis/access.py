"""Who may see and change the workspace: open on localhost, or sign-in with a list of editors.

Sign-in is on when `.streamlit/secrets.toml` configures an OpenID Connect provider (an `[auth]`
section, as Streamlit's st.login expects). Then only signed-in users see data, and only the e-mail
addresses listed under `[sp_analysis] editors` may upload, remove files, or edit rules, suppliers,
settings, the framework or the action plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Access:
    """The access rules in force."""

    sign_in_required: bool
    editors: frozenset[str]

    @staticmethod
    def from_secrets(secrets: Mapping[str, Any]) -> Access:
        """Read the rules from the app's secrets (an empty mapping: open access)."""
        auth = secrets.get("auth") or {}
        settings = secrets.get("sp_analysis") or {}
        editors = frozenset(str(e).strip().lower() for e in settings.get("editors", []) if str(e).strip())
        return Access(sign_in_required=bool(auth), editors=editors)

    def can_view(self, signed_in: bool) -> bool:
        """Data is shown to everyone when sign-in is off, else to signed-in users."""
        return signed_in or not self.sign_in_required

    def can_edit(self, signed_in: bool, email: str | None) -> bool:
        """Changes are open when sign-in is off, else only for listed editors."""
        if not self.sign_in_required:
            return True
        return signed_in and email is not None and email.strip().lower() in self.editors
