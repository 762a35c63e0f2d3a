"""nianbao — 政府信息公开工作年度报告: templates, checks, reports, collection and import.

The public API is loaded lazily so that ``import nianbao`` (and the CLI's ``--help``) stays fast.
"""
__version__ = "0.1.0"

_API = {
    "load_format": "nianbao.formats",
    "format_for_year": "nianbao.formats",
    "Filing": "nianbao.filing",
    "Finding": "nianbao.filing",
    "check": "nianbao.checks",
    "read": "nianbao.xlsx_read",
    "template": "nianbao.xlsx_template",
    "render": "nianbao.report",
    "import_report": "nianbao.importer",
}


def __getattr__(name):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(name)


__all__ = sorted(_API)
