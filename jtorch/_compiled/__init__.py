"""The compiled path's internal machinery (trace audit, ...); `jtorch/_compile.py` is the driver."""
