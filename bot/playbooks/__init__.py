"""The builtin incident playbooks (Markdown), loaded by ``bot.playbook_files``."""
