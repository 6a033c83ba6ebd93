"""Tenant administration for operators: `python -m huike.admin` (see cli.py).

Never imported by a function: it runs on an operator's machine with the operator's AWS
credentials (`--stack`), or inside the local runtime's process (`--local`). The commands
(commands.py) are the same on both targets; only the transport differs (cli.py, targets.py).
"""
