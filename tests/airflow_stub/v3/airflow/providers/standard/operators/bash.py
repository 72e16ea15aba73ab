from recorder import BashOperator  # noqa: F401
