from recorder import DAG  # noqa: F401
