"""pandas, imported only when a to_pandas() is called: the package itself does not need it."""


def require_pandas():
    try:
        import pandas
    except ImportError as error:
        raise ImportError(
            "to_pandas() needs pandas, which is not installed: on Debian "
            "`apt-get install python3-pandas`, elsewhere `pip install pandas`"
        ) from error
    return pandas
