"""The plan: the Flexible Framework and the action plan, its files and measures."""
